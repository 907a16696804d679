import type { Dirent } from 'node:fs';
import { open, readFile, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { SkippedInput, checkImageContent, hasImageExtension, sniffBytes } from './image-type.js';
import { InputError } from '../util/errors.js';
import type { ImageSource, SourceItem } from './types.js';

export interface FolderSourceOptions {
  root: string;
  tenant: string;
  /** Globs relative to the root; a glob without `/` matches file names at any depth. Default: everything. */
  include?: string[];
  exclude?: string[];
  /** Files larger than this are refused (LOOKALIKE_MAX_IMAGE_BYTES). */
  maxBytes: number;
}

export const folderSourceId = (root: string) => `folder:${path.resolve(root)}`;

/**
 * Every file under a folder, recursively, as `folder:<absolute root>` items keyed by their path relative to
 * the root (with `/`). Hidden files and folders are left out, and so is what the globs exclude. Symbolic
 * links are followed only while they stay inside the root; one leading out is reported as skipped.
 * Whether a file is an image is judged from its content when it is read.
 */
export async function openFolderSource(options: FolderSourceOptions): Promise<ImageSource> {
  const root = path.resolve(options.root);
  let realRoot: string;
  try {
    realRoot = await realpath(root);
    if (!(await stat(realRoot)).isDirectory()) throw new InputError(root, 'is not a folder');
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(
      root,
      `cannot be opened as a folder: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  const include = options.include?.length ? options.include : ['**/*'];
  const included = globMatcher(include);
  const excluded = globMatcher(options.exclude ?? []);
  const filters = {
    wanted: (rel: string) => included(rel) && !excluded(rel),
    excluded,
    mayHold: folderFilter(include),
  };
  const walker = new Walker(realRoot, filters, options.maxBytes);
  return {
    id: folderSourceId(root),
    tenant: options.tenant,
    items: () => walker.items(options.tenant),
  };
}

/** Globs with a `/` match the path relative to the root; globs without one match the name at any depth. */
function globMatcher(globs: string[]): (relative: string) => boolean {
  const byPath = globs.filter((g) => g.includes('/'));
  const byName = globs.filter((g) => !g.includes('/'));
  const path_ = byPath.length > 0 ? picomatch(byPath, { dot: true }) : () => false;
  const name = byName.length > 0 ? picomatch(byName, { dot: true }) : () => false;
  return (relative) => path_(relative) || name(path.posix.basename(relative));
}

/** Whether a folder can hold files the include globs match (so the walk need not enter the others). */
function folderFilter(include: string[]): (relative: string) => boolean {
  const bases = include.map((g) => (g.includes('/') ? picomatch.scan(g).base : ''));
  return (dir) =>
    bases.some((b) => b === '' || b === dir || b.startsWith(`${dir}/`) || dir.startsWith(`${b}/`));
}

const within = (root: string, target: string) => target === root || target.startsWith(root + path.sep);

interface Filters {
  wanted(relative: string): boolean;
  excluded(relative: string): boolean;
  mayHold(relative: string): boolean;
}

class Walker {
  constructor(
    private readonly root: string,
    private readonly filters: Filters,
    private readonly maxBytes: number,
  ) {}

  async *items(tenant: string): AsyncGenerator<SourceItem> {
    // Real paths of the folders on the current descent: a link back up to one of them would loop forever.
    yield* this.walk(this.root, '', new Set([this.root]), tenant);
  }

  private async *walk(
    dir: string,
    prefix: string,
    ancestors: Set<string>,
    tenant: string,
  ): AsyncGenerator<SourceItem> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      const reason = `folder cannot be read: ${(error as NodeJS.ErrnoException).code ?? error}`;
      if (!prefix) throw new InputError(dir, reason);
      yield skipped(prefix, tenant, reason);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const { wanted, excluded, mayHold } = this.filters;
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      let real = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        try {
          real = await realpath(real);
        } catch {
          if (wanted(relative)) yield skipped(relative, tenant, 'broken symbolic link');
          continue;
        }
      }
      const info = await stat(real).catch(() => undefined);
      const folder = info?.isDirectory() ?? false;
      if (folder ? excluded(relative) || !mayHold(relative) : !wanted(relative)) continue;
      if (!within(this.root, real)) {
        yield skipped(
          relative,
          tenant,
          `symbolic link leading out of the folder (to ${real}) is not followed`,
        );
      } else if (folder && ancestors.has(real)) {
        yield skipped(
          relative,
          tenant,
          'symbolic link to a folder that contains it (a loop) is not followed',
        );
      } else if (folder) {
        yield* this.walk(real, relative, new Set(ancestors).add(real), tenant);
      } else if (info?.isFile()) {
        yield fileItem(real, relative, info.size, Math.trunc(info.mtimeMs), tenant, this.maxBytes);
      } else yield skipped(relative, tenant, 'not a regular file');
    }
  }
}

/** Whether a path is a folder, following links (also picks the source kind of a command-line argument). */
export async function isDirectory(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isDirectory() ?? false;
}

function fileItem(
  file: string,
  key: string,
  size: number,
  mtime: number,
  tenant: string,
  maxBytes: number,
): SourceItem {
  return {
    key,
    tenant,
    name: path.posix.basename(key),
    relativePath: key,
    size,
    mtime,
    bytes: () => readImageFile(file, key, size, maxBytes),
  };
}

/** An item that is reported as skipped when the indexer reads it. */
function skipped(key: string, tenant: string, reason: string): SourceItem {
  return {
    key,
    tenant,
    name: path.posix.basename(key),
    relativePath: key,
    bytes: () => Promise.reject(new SkippedInput(key, reason)),
  };
}

/**
 * Reads an image file. A name that does not claim an image (a sidecar, a video) is sniffed from its first bytes
 * first, so what is no image is skipped without being read whole.
 */
async function readImageFile(file: string, key: string, size: number, maxBytes: number): Promise<Buffer> {
  const cannot = (error: NodeJS.ErrnoException) => {
    throw new InputError(key, `cannot be read: ${error.code ?? error.message}`);
  };
  if (!hasImageExtension(key) || size > maxBytes) {
    const handle = await open(file, 'r').catch(cannot);
    try {
      const head = Buffer.alloc(Math.min(size, sniffBytes));
      await handle.read(head, 0, head.length, 0);
      await checkImageContent(key, head, { skipUnlessImageName: true });
    } finally {
      await handle.close();
    }
  }
  if (size > maxBytes) throw new InputError(key, tooLarge(size, maxBytes));
  const bytes = await readFile(file).catch(cannot);
  if (bytes.length > maxBytes) throw new InputError(key, tooLarge(bytes.length, maxBytes));
  await checkImageContent(key, bytes.subarray(0, sniffBytes), { skipUnlessImageName: true });
  return bytes;
}

const tooLarge = (size: number, maxBytes: number) =>
  `is ${size} bytes, more than LOOKALIKE_MAX_IMAGE_BYTES (${maxBytes})`;
