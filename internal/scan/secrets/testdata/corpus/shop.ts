export const shopify = {
  accessToken: "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",
  sharedSecret: `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`,
};
