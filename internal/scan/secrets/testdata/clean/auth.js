module.exports = {
  clientId: 'shop-web',
  clientSecret: process.env.CLIENT_SECRET,
  author: 'Jane Doe',
  tokenEndpoint: '/oauth/token',
};
