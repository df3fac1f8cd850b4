/**
 * Client libraries that only some deployments use (the S3 SDK, ioredis, nodemailer) are loaded
 * when the config asks for them, not at startup: together they hold about 23 MiB of resident
 * memory that a registry on local disk without Redis or mail would carry for nothing. All of
 * them ship CommonJS, so they are required synchronously and the constructors that use them
 * stay synchronous.
 */
import { createRequire } from 'node:module';
import { quietAwsNodeVersionWarning } from './config/aws-sdk-env.js';

const require = createRequire(import.meta.url);

export interface S3Sdk {
  client: typeof import('@aws-sdk/client-s3');
  Upload: typeof import('@aws-sdk/lib-storage').Upload;
  getSignedUrl: typeof import('@aws-sdk/s3-request-presigner').getSignedUrl;
}

export function loadS3Sdk(): S3Sdk {
  quietAwsNodeVersionWarning();
  return {
    client: require('@aws-sdk/client-s3'),
    Upload: require('@aws-sdk/lib-storage').Upload,
    getSignedUrl: require('@aws-sdk/s3-request-presigner').getSignedUrl,
  };
}

export function loadIoredis(): typeof import('ioredis') {
  return require('ioredis');
}

export function loadNodemailer(): typeof import('nodemailer') {
  return require('nodemailer');
}
