/** A fresh folder name beside `target` to build into: `<target>.<pid>.<time>.tmp`. */
export function stagingDir(target: string): string;
/** Puts the complete folder `built` at `target` and removes what was there. */
export function replaceDir(built: string, target: string): void;
/** Removes the staging folders of builds whose process is gone (interrupted): never a running build's. */
export function removeStale(target: string): void;
