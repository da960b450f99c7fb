// The S3 server for tests (in a temp dir removed at exit), and what tests ask of a bucket.
import { execFile } from 'node:child_process';
import { ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { startS3Server as startServer, type S3DevServer, type S3ServerOptions } from '../../src/devserver/s3server.js';
import { resolveTool } from '../../src/tools/tools.js';
import { tempDir } from './tmp.js';

export type S3TestServer = S3DevServer;

export function startS3Server(options: Partial<S3ServerOptions> = {}): Promise<S3TestServer> {
  return startServer({ ...options, dataDir: options.dataDir ?? tempDir('s3') });
}

/** How many multipart uploads are still open (begun, neither completed nor aborted) in a bucket. */
export async function incompleteUploads(client: S3Client, bucket: string): Promise<number> {
  return (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads?.length ?? 0;
}

/** Creates a gateway user (role 'user': no access to buckets it does not own) through versitygw's admin CLI. */
export async function createS3User(server: S3TestServer, accessKeyId: string, secretAccessKey: string): Promise<void> {
  const executable = await resolveTool('s3server');
  const args = ['admin', '--access', server.accessKeyId, '--secret', server.secretAccessKey, '--endpoint-url', server.endpoint, 'create-user', '--access', accessKeyId, '--secret', secretAccessKey, '--role', 'user'];
  await new Promise<void>((resolve, reject) =>
    execFile(executable, args, { timeout: 30_000 }, (error, _stdout, stderr) => (error ? reject(new Error(`versitygw admin create-user failed: ${stderr || error.message}`)) : resolve())),
  );
}
