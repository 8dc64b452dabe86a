export { sdkErrorCodes } from "./version.ts";
