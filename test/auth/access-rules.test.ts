import assert from 'node:assert/strict';
import { type AccessRule, AccessRules, type Identity } from '../../lib/auth/access-rules.js';

const user = (name: string, ...groups: string[]): Identity => ({ user: name, groups });
const alice = user('alice');
const bob = user('bob', 'devs');
const carol = user('carol', 'ops', 'devs');

describe('auth: access rules', () => {
  describe('without rules (auth.access absent)', () => {
    const rules = new AccessRules(null, false);

    it('every authenticated user may pull and push everywhere, but not delete', () => {
      for (const who of [alice, bob]) {
        assert.ok(rules.may(who, 'pull', 'library/ubuntu'));
        assert.ok(rules.may(who, 'push', 'someone/else'));
        assert.ok(!rules.may(who, 'delete', 'library/ubuntu'));
        assert.ok(rules.mayAnywhere(who, 'push'));
        assert.ok(!rules.mayAnywhere(who, 'delete'));
      }
    });

    it('anonymous callers may do nothing', () => {
      for (const action of ['pull', 'push', 'delete'] as const) {
        assert.ok(!rules.may(null, action, 'library/ubuntu'));
        assert.ok(!rules.mayAnywhere(null, action));
      }
    });
  });

  describe('anonymous_read', () => {
    it('anyone may pull everywhere, and anonymous callers nothing else', () => {
      const rules = new AccessRules(null, true);
      assert.ok(rules.may(null, 'pull', 'library/ubuntu'));
      assert.ok(rules.mayAnywhere(null, 'pull'));
      assert.ok(!rules.may(null, 'push', 'library/ubuntu'));
      assert.ok(!rules.may(null, 'delete', 'library/ubuntu'));
      assert.ok(!rules.mayAnywhere(null, 'push'));
    });

    it('with rules too: a logged-in user has no less than an anonymous one', () => {
      const rules = new AccessRules([{ users: ['alice'], repositories: ['**'], actions: [] }], true);
      assert.ok(rules.may(alice, 'pull', 'library/ubuntu'));
      assert.ok(!rules.may(alice, 'push', 'library/ubuntu'));
    });
  });

  describe('with rules', () => {
    const config: AccessRule[] = [
      { users: ['alice'], repositories: ['alice/*', 'library/*'], actions: ['pull', 'push', 'delete'] },
      { groups: ['ops'], repositories: ['secret/**'], actions: [] },
      { users: ['bob'], groups: ['devs'], repositories: ['team/**', 'secret/**'], actions: ['pull', 'push'] },
      { users: ['*'], repositories: ['library/*'], actions: ['pull'] },
    ];
    const rules = new AccessRules(config, false);

    it('a rule applies to its users and its groups, on its patterns', () => {
      assert.ok(rules.may(alice, 'delete', 'alice/app'));
      assert.ok(rules.may(alice, 'push', 'library/ubuntu'));
      assert.ok(rules.may(bob, 'push', 'team/app/cache'), 'bob by name');
      assert.ok(rules.may(carol, 'push', 'team/app'), 'carol through devs');
      assert.ok(!rules.may(bob, 'delete', 'team/app'), 'an action the rule does not list');
    });

    it('the first rule that matches decides, even to deny', () => {
      assert.ok(rules.may(bob, 'pull', 'secret/plans'), 'bob is not in ops: the third rule decides');
      assert.ok(!rules.may(carol, 'pull', 'secret/plans'), 'carol is in ops: the second rule (nothing) decides before devs');
    });

    it('users: ["*"] is every authenticated user, never anonymous', () => {
      const dave = user('dave');
      assert.ok(rules.may(dave, 'pull', 'library/ubuntu'));
      assert.ok(!rules.may(dave, 'push', 'library/ubuntu'));
      assert.ok(!rules.may(null, 'pull', 'library/ubuntu'));
    });

    it('no matching rule: denied', () => {
      assert.ok(!rules.may(alice, 'pull', 'bob/app'));
      assert.ok(!rules.may(user('dave'), 'pull', 'team/app'));
      assert.ok(!rules.may(alice, 'pull', 'alice/app/deeper'), 'alice/* is one component deep');
    });

    it('one-component V2 names are asked as library/x: the library/* rules cover them', () => {
      assert.ok(rules.may(user('dave'), 'pull', 'library/busybox'));
      assert.ok(!rules.may(user('dave'), 'pull', 'busybox'), 'asked bare, nothing matches: the caller must add library/');
    });

    it('mayAnywhere: whether some rule for the identity grants the action somewhere', () => {
      assert.ok(rules.mayAnywhere(alice, 'delete'));
      assert.ok(rules.mayAnywhere(bob, 'push'));
      assert.ok(!rules.mayAnywhere(bob, 'delete'));
      assert.ok(rules.mayAnywhere(user('dave'), 'pull'));
      assert.ok(!rules.mayAnywhere(user('dave'), 'push'));
      assert.ok(!rules.mayAnywhere(null, 'pull'));
    });

    it('mayAnywhere: a rule whose patterns earlier rules took (same pattern, or **) does not count', () => {
      const shadowed = new AccessRules(
        [
          { users: ['eve'], repositories: ['**'], actions: ['pull'] },
          { users: ['eve'], repositories: ['eve/*'], actions: ['push'] },
          { users: ['fay'], repositories: ['fay/*'], actions: ['pull'] },
          { users: ['fay'], repositories: ['fay/*'], actions: ['push'] },
          { users: ['fay'], repositories: ['fay/*', 'shared/*'], actions: ['delete'] },
        ],
        false,
      );
      assert.ok(shadowed.mayAnywhere(user('eve'), 'pull'));
      assert.ok(!shadowed.mayAnywhere(user('eve'), 'push'));
      assert.ok(!shadowed.may(user('eve'), 'push', 'eve/app'));
      assert.ok(!shadowed.mayAnywhere(user('fay'), 'push'));
      assert.ok(shadowed.mayAnywhere(user('fay'), 'delete'), 'shared/* is new');
      assert.ok(shadowed.may(user('fay'), 'delete', 'shared/x'));
    });

    it('an invalid pattern is refused at construction', () => {
      assert.throws(() => new AccessRules([{ users: ['a'], repositories: ['Bad'], actions: [] }], false), /invalid repository pattern "Bad"/);
    });
  });
});
