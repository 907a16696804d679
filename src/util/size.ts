/** A byte count as people read it in messages: `1.5 MiB`. */
export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
