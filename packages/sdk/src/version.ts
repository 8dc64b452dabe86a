import { ErrorCode } from "@sluice/core";

/** Error codes the SDK can surface, re-exported so callers need only @sluice/sdk. */
export const sdkErrorCodes = Object.values(ErrorCode);
