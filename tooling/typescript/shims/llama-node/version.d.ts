export declare const BUILD_NUMBER = "10257";
export declare const BUILD_COMMIT = "22dc605c4";
