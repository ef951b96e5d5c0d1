// Started detached beside a test process that owns a network: when that process dies without stopping
// its network (a crash, SIGKILL), removes everything the registry lists for it. Exits by itself once
// the network is stopped normally (its record is gone).
import { isRunning } from '../processes.js';
import { readRecord, removeRecorded } from './registry.js';

const [id, owner] = [process.argv[2], Number(process.argv[3])];
for (;;) {
  const r = readRecord(id);
  if (!r) break;
  if (!isRunning(owner)) {
    await removeRecorded(r, 2000);
    process.stdout.write(`${new Date().toISOString()} owner ${owner} died; removed network ${id}\n`);
    break;
  }
  await new Promise((res) => setTimeout(res, 250));
}
