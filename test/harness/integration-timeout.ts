// Integration specs start services and wait for Kafka round trips; unit specs keep Jest's default.
jest.setTimeout(120_000);
