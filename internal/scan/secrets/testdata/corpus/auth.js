module.exports = {
  clientId: 'shop-web',
  clientSecret: 'IiHisE2LGHiZ=J2MVj1diLCq',
  author: 'Jane Doe',
};
