// @ts-check
'use strict';
/**
 * The webpack loader of the package build: SWC strips the types, as the
 * workspace's jest transform does, keeping Nest's decorator metadata, and
 * leaves ES modules so that webpack can drop what the entry does not use.
 */
const { transform } = require('@swc/core');

/** @this {{ async(): (error: Error | null, code?: string) => void; resourcePath: string }} */
module.exports = function swcLoader(/** @type {string} */ source) {
  const done = this.async();
  transform(source, {
    filename: this.resourcePath,
    sourceMaps: false,
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: 'es6' },
  }).then(
    (output) => done(null, output.code),
    (error) => done(error),
  );
};
