export { createIssuerAggregationService, issuerAggregationService } from './issuer-aggregation.service';
export type { IssuerSettings } from './settings';
