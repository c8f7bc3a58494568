export declare function burn(iterations: number): { state: number; ms: number };
export declare function calibrate(targetMs?: number): number;
