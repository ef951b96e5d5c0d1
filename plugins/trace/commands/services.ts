// kubectl trace services [SERVICE]: the services the backend has traces of, or one service's operations.
import { defineCommand, str } from '../../../shared/cli/command.js';
import { outputFlag, readOutput } from '../../../shared/cli/flags.js';
import { TEMPLATE_FORMATS, type FormatName, type OutputFormat } from '../../../shared/output/format.js';
import { print } from '../../../shared/output/print.js';
import { connectBackend, type BackendOptions } from '../backends/connect.js';
import { backendFlags, readBackendOptions } from '../flags.js';
import { API_VERSION } from '../model.js';

interface Options {
  service?: string | undefined;
  backend: BackendOptions;
  output: OutputFormat;
}

const FORMATS: readonly FormatName[] = ['table', 'json', 'yaml', ...TEMPLATE_FORMATS];

export const servicesCommand = defineCommand<Options>({
  command: 'services [service]',
  describe: 'List the services the tracing backend has traces of, or the operations of one service',
  examples: [
    ['$0 services', 'Services known to Jaeger or Zipkin (found in istio-system)'],
    ['$0 services productpage.default', 'The operations (span names) of productpage'],
    ['$0 services --url http://localhost:16686', 'Through a port-forward instead of the API server'],
  ],
  builder: (y) => backendFlags(outputFlag(y, FORMATS)).positional('service', { type: 'string', describe: 'A service: list its operations' }),
  options: (args) => ({ service: str(args, 'service'), backend: readBackendOptions(args), output: readOutput(args, FORMATS) }),
  run: async (ctx, o) => {
    const backend = await connectBackend(ctx, o.backend);
    if (o.service) {
      const ops = await backend.operations(o.service);
      if (ops.length === 0 && o.output === 'table') {
        ctx.stderr.write(`No operations of service "${o.service}" in ${backend.where} (see kubectl trace services)\n`);
        return;
      }
      await print(ctx, o.output, {
        data: { apiVersion: API_VERSION, kind: 'OperationList', service: o.service, items: ops },
        rows: ops,
        columns: [{ header: 'Operation', value: (r: string) => r }],
      });
      return;
    }
    const services = await backend.services();
    if (services.length === 0 && o.output === 'table') {
      ctx.stderr.write(`No services in ${backend.where} yet: no spans have been reported (is tracing enabled? see kubectl trace status)\n`);
      return;
    }
    await print(ctx, o.output, {
      data: { apiVersion: API_VERSION, kind: 'ServiceList', items: services },
      rows: services,
      columns: [{ header: 'Service', value: (r: string) => r }],
    });
  },
});
