declare module '@okta/okta-sdk-nodejs/src/config-loader.js' {
  const loader: { ConfigLoader: unknown };
  export default loader;
}
