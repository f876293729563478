const { serviceWebpackConfig } = require('../../webpack.service.js');

module.exports = serviceWebpackConfig('mail-catcher');
