// Runs the real `lookalike` command (bin/lookalike.js) in a child process, as a user would.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { tinyModelDir } from './bot.js';

const root = path.resolve(import.meta.dirname, '../..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of an isolated run: the tiny model, the embedded store in `dataDir`, and none of the
 * parent's chat tokens or Elasticsearch address (which would switch `start` to another adapter or store).
 */
export function isolatedEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(LOOKALIKE_|ELASTICSEARCH_|DISCORD_|SLACK_)/.test(key)) env[key] = value;
  }
  return {
    ...env,
    LOOKALIKE_MODEL_DIR: tinyModelDir,
    LOOKALIKE_DATA_DIR: dataDir,
    LOOKALIKE_CACHE_DIR: path.join(dataDir, 'cache'),
    LOOKALIKE_STORE: 'embedded',
    LOOKALIKE_THREADS: '1',
    ...extra,
  };
}

export interface RunningCli {
  child: ChildProcessWithoutNullStreams;
  /** What it printed so far. */
  output(): CliResult;
  /** Settles when it exits; rejects (after killing it) when it runs longer than `timeoutMs`. */
  exited: Promise<CliResult>;
}

/** Starts `lookalike <args>` with its stdin left open for the caller. */
export function startCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): RunningCli {
  const child = spawn(process.execPath, [path.join(root, 'bin/lookalike.js'), ...args], { cwd: root, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `lookalike ${args.join(' ')} ran over ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, output: () => ({ code: child.exitCode, stdout, stderr }), exited };
}

/** Runs `lookalike <args>` with `input` piped to stdin, to its end. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  input = '',
  timeoutMs = 60_000,
): Promise<CliResult> {
  const run = startCli(args, env, timeoutMs);
  run.child.stdin.end(input);
  return run.exited;
}

/** Resolves when the running command has printed a line matching `pattern` (stdout or stderr). */
export function waitForOutput(run: RunningCli, pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const { stdout, stderr } = run.output();
      if (pattern.test(stdout) || pattern.test(stderr)) {
        clearTimeout(timer);
        run.child.stdout.off('data', check);
        run.child.stderr.off('data', check);
        resolve();
      }
    };
    const timer = setTimeout(() => {
      run.child.stdout.off('data', check);
      run.child.stderr.off('data', check);
      const { stdout, stderr } = run.output();
      reject(
        new Error(
          `no output matching ${pattern} within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`,
        ),
      );
    }, timeoutMs);
    run.child.stdout.on('data', check);
    run.child.stderr.on('data', check);
    void run.exited.then(() => {
      check();
      clearTimeout(timer);
      const { stdout, stderr } = run.output();
      reject(new Error(`exited before printing ${pattern}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, reject);
    check();
  });
}

/** Stops a running command the way a service manager does (SIGTERM) and waits for it to exit. */
export async function stopCli(run: RunningCli): Promise<CliResult> {
  if (run.child.exitCode === null) run.child.kill('SIGTERM');
  return run.exited;
}
