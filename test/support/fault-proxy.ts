/**
 * A TCP proxy on 127.0.0.1 in front of a real service (RGW, glance-api) that a test can cut
 * and restore: a real fault on the wire with the real service behind it. cut() resets every
 * open connection and every new one until restore(); the service itself is never touched.
 */
import net from 'node:net';

export interface FaultProxy {
  port: number;
  /** connections accepted so far */
  readonly accepted: number;
  /** bytes passed on to the service so far (a test cuts once a write is really on the wire) */
  readonly bytesUp: number;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  const open = new Set<net.Socket>();
  let cutOff = false;
  let accepted = 0;
  let bytesUp = 0;
  const server = net.createServer((client) => {
    accepted++;
    if (cutOff) return void client.resetAndDestroy();
    const upstream = net.connect(targetPort, '127.0.0.1');
    open.add(client);
    open.add(upstream);
    const drop = () => {
      open.delete(client);
      open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk: Buffer) => {
      bytesUp += chunk.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('fault proxy: no address');
  return {
    port: address.port,
    get accepted() {
      return accepted;
    },
    get bytesUp() {
      return bytesUp;
    },
    cut: () => {
      cutOff = true;
      for (const s of open) s.resetAndDestroy();
      open.clear();
    },
    restore: () => {
      cutOff = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
