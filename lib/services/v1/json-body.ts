import { v1Error } from '../../errors/registry-error.js';

/** A small JSON request body, or the V1 400 with the message that route used for bad JSON. */
export function parseJsonBody(body: Buffer, message: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw v1Error(400, message);
  }
}
