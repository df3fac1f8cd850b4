/**
 * Docker before 1.6 spoke an incompatible draft of V2 (tarsum digests) and must not be told
 * that Berth speaks V2: to them /v2/ is a plain 404, so they stay on V1 (V1 spec §1.1).
 */
export function isPreV2Docker(userAgent: string | undefined): boolean {
  const m = /\bdocker\/(\d+)\.(\d+)/i.exec(userAgent ?? '');
  return m !== null && (Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2]) < 6));
}
