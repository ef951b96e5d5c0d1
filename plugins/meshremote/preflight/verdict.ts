// One verdict of preflight (a check, the contexts it is about, its status, the fix when it does not
// pass) and what several checks share.
export type Status = 'PASS' | 'WARN' | 'FAIL' | 'UNCHECKED';

export interface Check {
  check: string;
  /** The contexts it is about. */
  clusters: string[];
  status: Status;
  detail: string;
  fix: string;
}

export const check = (c: string, clusters: string[], status: Status, detail: string, fix = ''): Check => ({ check: c, clusters, status, detail, fix });

/** "1.33" of "v1.33.2". */
export const minor = (v: string | undefined) => /^v?(\d+\.\d+)\./.exec(v ?? '')?.[1];
