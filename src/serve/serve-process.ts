import { spawn } from 'node:child_process';

export interface ServeProcess {
  /** The OpenAI base URL the server printed. */
  url: string;
  /** What it wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM, then its exit status once it has stopped. */
  stop(): Promise<number | null>;
}

/**
 * `xfbench serve ARGS --port 0` as a child process (the bench and the tests talk to the real server),
 * resolved once it has printed the address it listens at.
 */
export function startServeProcess(bin: string, args: string[], env: Record<string, string> = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [bin, 'serve', ...args, '--port', '0'], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const url = /at (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url)
        resolve({
          url,
          stderr: () => stderr,
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
    });
    void exited.then((code) => reject(new Error(`xfbench serve exited (${code}) before listening: ${stderr}`)));
  });
}
