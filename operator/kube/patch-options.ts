import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

/**
 * Request options for the typed APIs' patch calls, which otherwise send a JSON patch: server-side apply (the body
 * is the fields the field manager owns; JSON is YAML) and a JSON merge patch.
 */
export const SERVER_SIDE_APPLY = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
