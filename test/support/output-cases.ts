// Templates and data the output tests share: the unit tests hold what kubectl prints, the integration
// test checks it against the real kubectl.

export const SAMPLE = {
  apiVersion: 'canary.traffic.kubectl-plugins.io/v1alpha1',
  kind: 'CanaryStatus',
  metadata: { name: 'x', labels: { 'app.kubernetes.io/name': 'web', tier: 'front' } },
  spec: {
    a: [1, 2.5, 's', true, null, { b: 'c', a: 1 }],
    m: { z: 1, y: '<&>' },
    items: [
      {
        name: 'a',
        w: 10,
        ok: true,
        ports: [
          { port: 80, name: 'http' },
          { port: 443, name: 'https' },
        ],
      },
      { name: 'b', w: 90, ok: false, ports: [] },
      { name: 'c', w: 0, ok: true },
    ],
  },
};

/** Template, and what kubectl prints for it on SAMPLE (test/integration/output-kubectl.test.ts checks); undefined: an error. */
export const JSONPATH_CASES: [string, string | undefined][] = [
  ['{.metadata.name}', 'x'],
  ['{.spec.items[*].name}', 'a b c'],
  ['{.spec.items[0].ports[*].port}', '80 443'],
  ['{range .spec.items[*]}{.name}{"\\t"}{.w}{"\\n"}{end}', 'a\t10\nb\t90\nc\t0\n'],
  ['{.spec.items[?(@.name=="b")].w}', '90'],
  ['{.spec.items[?(@.w>5)].name}', 'a b'],
  ['{.spec.items[?(@.w>=10)].name}', 'a b'],
  ['{.spec.items[?(@.ok==true)].name}', 'a c'],
  ['{.spec.items[?(@.ok!=true)].name}', 'b'],
  ['{.spec.items[?(@.ports)].name}', 'a b'],
  ['{.spec.items[?(@.w<90.5)].name}', undefined],
  ["{.spec.items[?(@.name=='a')].ports[?(@.port==443)].name}", 'https'],
  ['{..port}', '80 443'],
  ['{.spec.items[-1].name}', 'c'],
  ['{.spec.items[1:].name}', 'b c'],
  ['{.spec.items[:2].name}', 'a b'],
  ['{.spec.items[0:3:2].name}', 'a c'],
  ['{.spec.items[5]}', undefined],
  ['{.spec.items[-4]}', undefined],
  ['{.spec.items[*].ports[0].name}', undefined],
  ['{.spec.a}', '[1,2.5,"s",true,null,{"a":1,"b":"c"}]'],
  ['{.spec.a[*]}', '1 2.5 s true null {"a":1,"b":"c"}'],
  ['{range .spec.a[*]}{@}|{end}', '1|2.5|s|true|<no value>|{"a":1,"b":"c"}|'],
  ['{.spec.a[?(@)]}', '1 2.5 s true null {"a":1,"b":"c"}'],
  ['{.spec.m.y}', '<&>'],
  ['{.spec.m}', '{"y":"\\u003c\\u0026\\u003e","z":1}'],
  ['{.metadata.labels.app\\.kubernetes\\.io/name}', 'web'],
  ["{.metadata.labels['tier']}", 'front'],
  ["{.metadata.labels['app.kubernetes.io/name']}", ''],
  ["{.spec.items[*]['name','w']}", 'a b c 10 90 0'],
  ['{range .spec.items[*]}[{.name}]{range .ports[*]}<{.port}>{end}{end}', '[a]<80><443>[b][c]'],
  ['{.nothing}x{.nothing.deeper}', 'x'],
  ['text only', 'text only'],
  ['{"a\\tb"}{\'x\\ny\'}', 'a\tbx\ny'],
  ['{$.metadata.name} {@.kind}', 'x CanaryStatus'],
  ['{.spec.items[0].name} and {.spec.items[1].name}', 'a and b'],
  ['{.metadata[*]}', undefined],
  ['{.spec.items[?(@.name=="b")]}', '{"name":"b","ok":false,"ports":[],"w":90}'],
];
