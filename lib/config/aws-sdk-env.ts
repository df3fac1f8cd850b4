/**
 * The AWS SDK for JavaScript warns at every client start on Node < 22 that its releases after
 * the first week of January 2027 will require Node 22 (aws/aws-sdk-js-v3#7983). Berth supports
 * Node 20 on purpose: package.json pins the SDK to a release that runs there, and the README
 * says when that ends, so the multi-line warning tells an operator nothing at each start. AWS
 * documents AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true to turn it off; Berth sets it
 * only when the operator has not set it either way, and only where the SDK would warn.
 */
const VARIABLE = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

export function quietAwsNodeVersionWarning(env: NodeJS.ProcessEnv = process.env, nodeVersion = process.versions.node): void {
  if (env[VARIABLE] !== undefined || Number(nodeVersion.split('.')[0]) >= 22) return;
  env[VARIABLE] = 'true';
}
