/**
 * The files `auth:` names, read and checked once before startup: the htpasswd file, the groups
 * file and the token server's certificate bundle. Their content is returned too, so the rules
 * can be checked against the users and groups that exist.
 */

import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ConfigIssue } from '../config/errors.js';
import { describeProblem } from './file-lines.js';
import { parseGroups } from './groups-format.js';
import { parseHtpasswd } from './htpasswd-format.js';

export interface FileCheck<T> {
  issues: ConfigIssue[];
  warnings: ConfigIssue[];
  /** null when the file could not be read or does not parse */
  content: T | null;
}

export function checkHtpasswdFile(key: string, path: string): FileCheck<ReadonlySet<string>> {
  const text = readText(key, path);
  if (typeof text !== 'string') return { issues: [text], warnings: [], content: null };
  const { users, problems, duplicates } = parseHtpasswd(text);
  const warnings = duplicates.map((user) => ({ key, message: `${path}: user ${JSON.stringify(user)} has more than one line; the first counts` }));
  if (problems.length === 0 && users.size === 0) warnings.push({ key, message: `${path} holds no users, so nobody can log in` });
  return {
    issues: problems.map((p) => ({ key, message: `${path} ${describeProblem(p)}` })),
    warnings,
    content: problems.length ? null : new Set(users.keys()),
  };
}

export function checkGroupsFile(key: string, path: string): FileCheck<ReadonlySet<string>> {
  const text = readText(key, path);
  if (typeof text !== 'string') return { issues: [text], warnings: [], content: null };
  const { groups, problems } = parseGroups(text);
  return { issues: problems.map((p) => ({ key, message: `${path} ${describeProblem(p)}` })), warnings: [], content: problems.length ? null : groups };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** A PEM file of one or more certificates, each of which parses. */
export function checkCertificateBundle(key: string, path: string): ConfigIssue[] {
  const text = readText(key, path);
  if (typeof text !== 'string') return [text];
  const pems = text.match(PEM_CERTIFICATE) ?? [];
  if (pems.length === 0) return [{ key, message: `${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)` }];
  const issues: ConfigIssue[] = [];
  pems.forEach((pem, i) => {
    try {
      new X509Certificate(pem);
    } catch (err) {
      issues.push({ key, message: `${path}: certificate ${i + 1} does not parse (${(err as Error).message})` });
    }
  });
  return issues;
}

/** The file's text, or the issue that says why it cannot be read. */
function readText(key: string, path: string): string | ConfigIssue {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    return { key, message: `cannot read ${path}: ${(err as Error).message}` };
  }
}
