/** `@payrox/aws/anchor`: the audit anchor store on S3 (a subpath, so importing the store never loads the S3 SDK). */
export { createAnchorBucketClient, S3AnchorStore, type AnchorBucketClientConfig, type AnchorRetention, type S3AnchorStoreOptions } from "./s3-anchor-store.js";
