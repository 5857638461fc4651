// Types of prebuilt.js (plain JavaScript, so that bin/switchboard.js loads no TypeScript to check for the bundle).
export declare const SIDECAR_BUNDLE_FILE: string;
export declare const BUNDLE_INPUTS_FILE: string;
export declare function freshSidecarBundle(): string | undefined;
