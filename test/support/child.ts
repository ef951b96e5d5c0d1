// A harness started in a child process (to interrupt or kill it): the script prints one JSON line once
// ready; this resolves to that line's value and the child, still running.
import { execa, type ResultPromise } from 'execa';

export async function harnessChild<T>(script: string): Promise<{ child: ResultPromise<{ stdin: 'ignore'; reject: false }>; ready: T }> {
  const child = execa(process.execPath, ['--input-type=module', '-e', script], { stdin: 'ignore', reject: false });
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => resolve(d.toString()));
    void child.then((r) => reject(new Error(`child exited early: ${r.stderr}`)));
  });
  return { child, ready: JSON.parse(line) as T };
}
