/**
 * A password in a URL's userinfo (`https://user:pass@mirror`, `postgresql://u:p@db/registry`)
 * is a secret whatever key holds the URL, so every URL Berth shows from the config (the
 * `--check-config` settings, the banner, config error messages) goes through here first.
 */
const USERINFO_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:"'<>]*):([^\s/?#@"'<>]*)@/gi;

export function hideUrlPasswords(text: string): string {
  return text.replace(USERINFO_PASSWORD, '$1:[redacted]@');
}
