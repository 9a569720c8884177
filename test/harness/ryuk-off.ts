// Imported first by the global setup: Testcontainers' reaper (Ryuk) image cannot be pulled on these
// machines (no registry); the harness removes its containers itself, by label.
process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
export {};
