import { ServiceDefinition } from '@pointsweep/messaging';
import { Connectors } from './connectors/connectors';
import { IssuerAggregationModule } from './issuer-aggregation.module';
import { IssuerTables1764000002000 } from './migrations/1764000002000-issuer-tables';
import { RefundsAndConsentRevocation1764100002000 } from './migrations/1764100002000-refunds-and-consent-revocation';
import { issuerSettings, IssuerSettings } from './settings';

/** Settings come from the environment when the module is built; tests may override them or the connectors. */
export function createIssuerAggregationService(options: { settings?: Partial<IssuerSettings>; connectors?: Connectors } = {}): ServiceDefinition {
  return {
    name: 'issuer-aggregation',
    schema: 'issuer',
    migrations: [IssuerTables1764000002000, RefundsAndConsentRevocation1764100002000],
    consumes: ['issuerCommands'],
    module: (runtime, config) => IssuerAggregationModule.forRoot(runtime, config, issuerSettings(process.env, options.settings), options.connectors),
  };
}

export const issuerAggregationService: ServiceDefinition = createIssuerAggregationService();
