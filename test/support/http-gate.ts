// An HTTP gate a test controls, to hold a real Docker build at a point of its choosing without
// sleeping: the build context's RUN step fetches the gate's URL (over the host network, so
// GIGI_BOOT_RUNNER_NETWORK=host), and the request waits until the test opens the gate with the
// status the step should see — 200 lets the build go on, 500 makes that RUN step (and the build) fail.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP gate: requests wait until `open(status)`; later ones get that status at once. */
export class Gate {
  #waiting: ServerResponse[] = [];
  #status: number | null = null;
  requests = 0;
  readonly server: Server = createServer((_req, res) => {
    this.requests++;
    if (this.#status === null) this.#waiting.push(res);
    else res.writeHead(this.#status).end('gate\n');
  });

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  /** The status it was opened with, or null while requests still wait. */
  get status(): number | null {
    return this.#status;
  }

  open(status: number): void {
    this.#status = status;
    for (const res of this.#waiting.splice(0)) res.writeHead(status).end('gate\n');
  }

  close(): void {
    if (this.#status === null) this.open(500);
    this.server.closeAllConnections();
    this.server.close();
  }
}

/** The Dockerfile step (for test/docker/helpers.ts makeContext) that waits on the gate at `url`. */
export const gateRunStep = (url: string): string =>
  `RUN ["/bin/busybox", "wget", "-q", "-O", "/gate", "${url}"]`;
