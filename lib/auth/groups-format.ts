/**
 * An htgroup file's content (httpd `modules/aaa/mod_authz_groupfile.c`): `group: user1 user2`
 * lines, the group name before the first `:`, the members separated by spaces. A group may
 * take several lines; its members add up, as in Apache.
 */
import { contentLines, type LineProblem } from './file-lines.js';

export interface GroupsContent {
  /** user → the groups they are in, in file order */
  groupsOf: Map<string, string[]>;
  /** every group named in the file, members or not */
  groups: Set<string>;
  problems: LineProblem[];
}

export function parseGroups(text: string): GroupsContent {
  const groupsOf = new Map<string, string[]>();
  const groups = new Set<string>();
  const problems: LineProblem[] = [];
  for (const { number, text: line } of contentLines(text)) {
    const colon = line.indexOf(':');
    const group = colon < 0 ? '' : line.slice(0, colon).trim();
    if (colon < 0) problems.push({ line: number, message: 'not of the form "group: user1 user2"' });
    else if (group === '') problems.push({ line: number, message: 'no group name before ":"' });
    if (group === '') continue;
    groups.add(group);
    for (const user of line
      .slice(colon + 1)
      .split(/\s+/)
      .filter(Boolean)) {
      const of = groupsOf.get(user) ?? [];
      if (!of.includes(group)) of.push(group);
      groupsOf.set(user, of);
    }
  }
  return { groupsOf, groups, problems };
}
