// Invalid values by kind of argument, for the CLI's invalid-input test: each must be refused before
// the first request. Values that yargs itself would read as flags (a leading '-') are given as
// --flag=value by the test where they go to a flag.
const long = (n: number, c = 'a') => c.repeat(n);

export const BAD = {
  /** DNS-1123 subdomains: Deployment, Ingress, node, WorkloadGroup names. */
  subdomain: ['Bad_Name', 'UPPER', 'new-nginx-', 'a..b', 'a b', 'ünicode', '.dot', 'a/b', long(254)],
  /** DNS-1123 labels: namespaces, Istio namespaces, link (cluster) names. */
  label: ['Bad_NS', 'a.b', 'UP', 'trail-', 'a b', long(64), 'ns!'],
  /** Service names: DNS-1035 labels (start with a letter). */
  service: ['Bad_Svc', '1abc', 'a.b', 'svc-', 'a b', long(64)],
  /** Plain decimal integers, where a count or a number of pods goes. */
  count: ['1e3', '0x10', '1.5', 'abc', '10abc', '+5', '1_000', 'Infinity', 'NaN', '', ' 5', '0o7', '0b11', '99999999999999999999'],
  /** Whole percentages 0-100. */
  percent: ['101', '1e1', '0x10', '50.5', 'abc', '', 'NaN', '1_0', '+5', '5 0'],
  /** Durations. */
  duration: ['5x', '1e3s', 'abc', '5 s', 'ms', '1h-', '0x10s', 's5', '1.2.3s'],
  /** Booleans given with '=': kubectl takes true or false only. */
  bool: ['yes', 'no', 'on', 'maybe', 'y', 'tru'],
  /** Host names (Host headers, Ingress hosts). */
  host: ['bad host!', 'a b', 'http://x', 'x/y', 'a..b', 'ho$t', 'x_y.example.com', '-lead.example.com', long(254)],
  /** HTTP paths. */
  path: ['no-slash', '/a b', '/a?x=1', '/a#frag', '/a\nb', 'api'],
  /** HTTP header names. */
  headerName: ['bad header', 'a(b)', 'é', 'a@b'],
  /** HTTP header values: a CR or LF would end the header and start another. */
  headerValue: ['a\r\nx-injected: 1', 'a\nb', 'a\u0000b', 'a\u007fb'],
  /** Ports. */
  port: ['0', '65536', '1e3', '0x50', 'http', '8o8o', '80.5'],
  /** IP addresses of machines. */
  ip: ['256.1.1.1', '1.2.3', 'abc', '::g', '1.2.3.4/24', '127.0.0.1', '224.0.0.1'],
  /** RE2: backreferences, lookaround, syntax errors. */
  re2: ['(a)\\1', '(?=x)', '(?!x)', '(?<=x)y', '[', '(', 'a{1001}', 'x**'],
  /** URLs to probe or read from. */
  url: ['not a url', 'ftp://127.0.0.1/', 'file:///etc/passwd', '//nohost', 'http//x'],
  /** --dry-run values. */
  dryRun: ['maybe', 'yes', 'Client', 'all'],
  /** -o values a writing command does not take (it takes json, yaml and name). */
  changeOutput: ['wide', 'Json', 'xml', 'jsonpath={.kind}', 'custom-columns=K:.kind', 'go-template={{.kind}}', ''],
} as const;

export type BadKind = keyof typeof BAD;
