export const shopify = {
  accessToken: process.env.SHOPIFY_ACCESS_TOKEN,
  sharedSecret: `${process.env.SHOPIFY_SHARED_SECRET}`,
};
