// Files that ship with the package (the sample feed) are found from the package root, which is one
// level up in source (core/runtime → ../..) and three in the build (dist/core/runtime → ../../..).
// Walk up to the nearest package.json instead of hard-coding either depth.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PackageRootNotFoundError } from '../errors.js';

let root: string | null = null;

export function packageRoot(): string {
  if (root !== null) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new PackageRootNotFoundError('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  root = dir;
  return dir;
}

export const packagePath = (relative: string): string => join(packageRoot(), relative);
