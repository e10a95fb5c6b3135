import Backup
import Foundation
import RedisCtlCore
import Spec
import Testing

@Suite struct S3ConfigurationTests {
    @Test func environmentWinsOverSpecAndSecret() throws {
        let spec = S3Spec(bucket: nil, region: "eu-central-1", endpoint: "http://spec.example:9000")
        let configuration = try S3Configuration.resolve(
            bucket: "b", prefix: "/p/q/", spec: spec,
            environment: ["AWS_ACCESS_KEY_ID": "envkey", "AWS_SECRET_ACCESS_KEY": "envsecret", "AWS_SESSION_TOKEN": "tok",
                          "AWS_REGION": "us-west-2", "AWS_ENDPOINT_URL": "http://global.example:1", "AWS_ENDPOINT_URL_S3": "http://s3only.example:2"],
            secret: ["AWS_ACCESS_KEY_ID": "secretkey", "AWS_SECRET_ACCESS_KEY": "secretsecret"])
        #expect(configuration.credentials == S3Credentials(accessKeyId: "envkey", secretAccessKey: "envsecret", sessionToken: "tok"))
        #expect(configuration.region == "us-west-2")
        #expect(configuration.endpoint?.absoluteString == "http://s3only.example:2")
        #expect(configuration.prefix == "p/q")
    }

    @Test func specAndSecretWhenTheEnvironmentIsSilent() throws {
        let spec = S3Spec(region: "eu-central-1", endpoint: "https://minio.internal")
        let configuration = try S3Configuration.resolve(
            bucket: "b", prefix: "", spec: spec, environment: [:],
            secret: ["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s\n"])
        #expect(configuration.credentials == S3Credentials(accessKeyId: "k", secretAccessKey: "s"))
        #expect(configuration.region == "eu-central-1")
        #expect(configuration.endpoint?.host == "minio.internal")
        let global = try S3Configuration.resolve(bucket: "b", prefix: "", spec: S3Spec(),
            environment: ["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"])
        #expect(global.endpoint?.port == 5000)
    }

    @Test func missingCredentialsAndBadEndpointsCannotRun() {
        #expect(throws: GeneralFailure.self) {
            try S3Configuration.resolve(bucket: "b", prefix: "", spec: S3Spec(), environment: [:])
        }
        do {
            _ = try S3Configuration.resolve(bucket: "b", prefix: "", spec: S3Spec(),
                environment: ["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_ENDPOINT_URL": "ftp://x"])
            Issue.record("an ftp endpoint was accepted")
        } catch let error as GeneralFailure {
            #expect(error.category == .cannotRun)
            #expect(error.message.contains("ftp://x"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func locationsParse() throws {
        #expect(try StoreLocation(parsing: "s3://bucket/a/b/") == .s3(bucket: "bucket", prefix: "a/b"))
        #expect(try StoreLocation(parsing: "s3://bucket") == .s3(bucket: "bucket", prefix: ""))
        #expect(try StoreLocation(parsing: "/var/backups") == .directory("/var/backups"))
        #expect(throws: GeneralFailure.self) { try StoreLocation(parsing: "s3://") }
        let split = StoreLocation.s3(bucket: "b", prefix: "p/c/20261126T200501Z").removingLastComponent()
        #expect(split?.parent == .s3(bucket: "b", prefix: "p/c") && split?.last == "20261126T200501Z")
        let directory = StoreLocation.directory("/x/y/").removingLastComponent()
        #expect(directory?.parent == .directory("/x") && directory?.last == "y")
    }

    @Test func s3ErrorsBecomeOneLine() {
        let body = """
        <?xml version="1.0" encoding="UTF-8"?>
        <Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>missing</BucketName><RequestId>1</RequestId></Error>
        """
        let error = S3ErrorResponse(status: 404, body: body)
        #expect(error.isConfigurationProblem)
        let line = error.line(operation: "PUT", target: "s3://missing/k")
        #expect(line == "S3 PUT s3://missing/k failed: NoSuchBucket: The specified bucket does not exist (HTTP 404); create the bucket or fix the bucket name")
        #expect(!line.contains("\n"))
        let denied = S3ErrorResponse(status: 403, body: "<Error><Code>AccessDenied</Code><Message>Access &amp; more</Message><Key>a/b</Key></Error>")
        #expect(denied.message == "Access & more" && denied.key == "a/b")
    }
}
