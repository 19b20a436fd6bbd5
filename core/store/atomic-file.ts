// Replaces a file so that a crash leaves either the old content or the new, never a torn file:
// write a temporary sibling, fsync it, rename it over the target (rename(2) is atomic within a
// filesystem). Handles already open on the old file keep reading the old inode until reopened.

import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';

export async function writeAtomically(file: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(tmp, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
