package io.vidmill.fetch;

import io.vidmill.decode.Status;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * s3://bucket/key through the AWS SDK v2. Credentials, region and endpoint come from the SDK's
 * usual chain (AWS_* environment, ~/.aws, instance and pod identities, AWS_ENDPOINT_URL[_S3]),
 * so MinIO, Ceph or GCS's S3 interoperability work by environment alone. Path-style
 * addressing is used when an endpoint is set (what those servers expect) or when
 * VIDMILL_S3_PATH_STYLE=true; the region defaults to us-east-1 when nothing names one.
 */
final class S3Source implements AutoCloseable {
  private final S3Client client;

  S3Source(Duration timeout) {
    String endpoint = firstNonBlank(System.getenv("AWS_ENDPOINT_URL_S3"), System.getenv("AWS_ENDPOINT_URL"),
        System.getProperty("aws.endpointUrl"));
    String pathStyle = System.getenv("VIDMILL_S3_PATH_STYLE");
    boolean forcePathStyle = pathStyle != null ? Boolean.parseBoolean(pathStyle) : endpoint != null;
    Region region;
    try {
      region = DefaultAwsRegionProviderChain.builder().build().getRegion();
    } catch (SdkClientException e) {
      region = Region.US_EAST_1;
    }
    var builder = S3Client.builder()
        .region(region)
        .forcePathStyle(forcePathStyle)
        .httpClientBuilder(UrlConnectionHttpClient.builder()
            .connectionTimeout(Duration.ofSeconds(10))
            .socketTimeout(timeout))
        .overrideConfiguration(o -> o.apiCallTimeout(timeout));
    if (endpoint != null) {
      // Third-party S3 servers (MinIO, Ceph, S3Proxy, older gateways) reject the flexible
      // checksum headers the SDK sends by default since 2.30.
      builder.endpointOverride(URI.create(endpoint))
          .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
          .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    }
    client = builder.build();
  }

  Fetched fetch(String uri, Fetcher fetcher, long deadlineNanos) throws FetchException, InterruptedException {
    String rest = uri.substring("s3://".length());
    int slash = rest.indexOf('/');
    if (slash <= 0 || slash == rest.length() - 1) {
      throw new FetchException(Status.NOT_FOUND, "not an s3://bucket/key URI", false, null);
    }
    String bucket = rest.substring(0, slash);
    String key = rest.substring(slash + 1);
    try (ResponseInputStream<GetObjectResponse> in =
             client.getObject(GetObjectRequest.builder().bucket(bucket).key(key).build())) {
      Long length = in.response().contentLength();
      if (length == null) throw new FetchException(Status.IO, "no Content-Length", true, null);
      return fetcher.readStream(in, length, uri, deadlineNanos);
    } catch (NoSuchKeyException e) {
      throw new FetchException(Status.NOT_FOUND, "no such key in bucket " + bucket, false, e);
    } catch (NoSuchBucketException e) {
      throw new FetchException(Status.NOT_FOUND, "no such bucket: " + bucket, false, e);
    } catch (S3Exception e) {
      int code = e.statusCode();
      if (code == 404) throw new FetchException(Status.NOT_FOUND, "not found (HTTP 404)", false, e);
      if (code == 403 || code == 401) {
        throw new FetchException(Status.PERMISSION_DENIED, "access denied (HTTP " + code + "): "
            + e.awsErrorDetails().errorMessage(), false, e);
      }
      throw new FetchException(Status.IO, "S3 error (HTTP " + code + "): " + e.getMessage(), code >= 500 || code == 429, e);
    } catch (ApiCallTimeoutException e) {
      throw new FetchException(Status.TIMEOUT, "S3 read took longer than the clip's time limit", false, e);
    } catch (SdkException e) {
      throw new FetchException(Status.IO, "S3 request failed: " + e.getMessage(), true, e);
    } catch (IOException e) {
      throw new FetchException(Status.IO, "S3 read failed: " + e.getMessage(), true, e);
    }
  }

  private static String firstNonBlank(String... values) {
    for (String v : values) if (v != null && !v.isBlank()) return v;
    return null;
  }

  @Override
  public void close() {
    client.close();
  }
}
