import type { ChatMessage } from './binding';
export declare const MTMD_DEFAULT_MEDIA_MARKER = "<__media__>";
export declare const formatMediaChat: (messages: ChatMessage[] | undefined) => {
    messages: ChatMessage[] | undefined;
    has_media: boolean;
    media_paths?: string[];
};
