const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('path');

/**
 * The webpack build of one Node service (`apps/<name>`): its main.ts and
 * assets into dist/apps/<name>, unminified with source maps so that stack
 * traces name the TypeScript, and the package.json of what it imports, from
 * which the image installs its production dependencies.
 */
function serviceWebpackConfig(name) {
  return {
    output: {
      path: join(__dirname, 'dist/apps', name),
      clean: true,
      ...(process.env.NODE_ENV !== 'production' && {
        devtoolModuleFilenameTemplate: '[absolute-resource-path]',
      }),
    },
    plugins: [
      new NxAppWebpackPlugin({
        target: 'node',
        compiler: 'tsc',
        main: './src/main.ts',
        tsConfig: './tsconfig.app.json',
        assets: ['./src/assets'],
        optimization: false,
        outputHashing: 'none',
        generatePackageJson: true,
        sourceMap: true,
      }),
    ],
  };
}

module.exports = { serviceWebpackConfig };
