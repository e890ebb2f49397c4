#!/usr/bin/env bash
# Deploys (or updates) one environment from the jars in target/ (build them first: mvn -B package -DskipTests).
#
#   kinesis-analytics/deploy.sh <environment> <artifact bucket> <region> [Key=Value ...]
#
# Each jar is uploaded under a key named after its SHA-256, so every build is a new key: CloudFormation then really
# updates the application's code (a snapshot is taken and the new job restored from it) and publishes a new Lambda
# version (LambdaJarSha256), which the alias behind API Gateway and the asynchronous work call. Extra Key=Value
# arguments are further template parameters (e.g. Parallelism=4 AlarmTopicArn=arn:aws:sns:...). The template goes
# through the same bucket: the CLI refuses templates over 51,200 bytes inline.
# Managed Flink's autoscaling changes the application's parallelism, and an update would set it back to the stack's
# value: so unless Parallelism=... is given, an existing application's current parallelism is passed (a first deploy
# gets the template's default).
# A new (or stopped) application is started, restored from its latest snapshot if it has one: CloudFormation
# creates applications but does not start them. RESTORE=SKIP_RESTORE_FROM_SNAPSHOT starts it without its state instead
# (a replay, or a recovery when no snapshot can be restored: see docs/running-on-aws.md, Runbook).
# AWS_ENDPOINT_URL, which the CLI reads itself since 2.13, is passed to every command for older CLIs (though their
# cloudformation deploy still sends the template to AWS's S3 host: that upload ignores --endpoint-url).
set -euo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 <environment> <artifact bucket> <region> [Key=Value ...]" >&2
  exit 2
fi
env=$1 bucket=$2 region=$3
shift 3
cd "$(dirname "$0")/.."
job=${JOB_JAR:-target/sqs-browser-events-flink-0.1.0-SNAPSHOT.jar}
api=${API_JAR:-target/sqs-browser-events-api-0.1.0-SNAPSHOT.jar}
for jar in "$job" "$api"; do
  [ -f "$jar" ] || { echo "$jar is missing: run mvn -B package -DskipTests first" >&2; exit 1; }
done
app="$env-sqs-browser-delivery"

# Every call: the region, and the endpoint if one is set.
aws() { command aws ${AWS_ENDPOINT_URL:+--endpoint-url "$AWS_ENDPOINT_URL"} --region "$region" "$@"; }
sha256_hex() { openssl dgst -sha256 -binary "$1" | od -An -tx1 | tr -d ' \n'; }
job_key="sqs-browser-events/$env/job-$(sha256_hex "$job" | cut -c1-32).jar"
api_key="sqs-browser-events/$env/api-$(sha256_hex "$api" | cut -c1-32).jar"
# Lambda's CodeSha256: base64 of the package's SHA-256.
api_sha256=$(openssl dgst -sha256 -binary "$api" | base64)

aws s3 cp "$job" "s3://$bucket/$job_key"
aws s3 cp "$api" "s3://$bucket/$api_key"

# "Parallelism=" the application's current parallelism; nothing before the first deploy (no application yet).
current_parallelism() {
  local out
  if out=$(aws kinesisanalyticsv2 describe-application --application-name "$app" --output text --query \
      ApplicationDetail.ApplicationConfigurationDescription.FlinkApplicationConfigurationDescription.ParallelismConfigurationDescription.CurrentParallelism \
      2>&1); then
    echo "Parallelism=$out"
  elif [[ $out != *ResourceNotFoundException* ]]; then
    echo "$out" >&2
    return 1
  fi
}
parallelism=
[[ " $* " == *" Parallelism="* ]] || parallelism=$(current_parallelism)
aws cloudformation deploy --stack-name "$env-sqs-browser-events" \
  --template-file kinesis-analytics/sqs-browser-events.yaml --s3-bucket "$bucket" --s3-prefix "sqs-browser-events/$env" \
  --capabilities CAPABILITY_NAMED_IAM --no-fail-on-empty-changeset \
  --parameter-overrides EnvironmentName="$env" ArtifactBucket="$bucket" JobJarKey="$job_key" \
    LambdaJarKey="$api_key" LambdaJarSha256="$api_sha256" ${parallelism:+"$parallelism"} "$@"

status=$(aws kinesisanalyticsv2 describe-application --application-name "$app" \
  --query ApplicationDetail.ApplicationStatus --output text)
if [ "$status" = READY ]; then
  restore=${RESTORE:-RESTORE_FROM_LATEST_SNAPSHOT}
  echo "Starting $app ($restore)"
  aws kinesisanalyticsv2 start-application --application-name "$app" \
    --run-configuration "{\"ApplicationRestoreConfiguration\":{\"ApplicationRestoreType\":\"$restore\"},\"FlinkRunConfiguration\":{\"AllowNonRestoredState\":false}}"
else
  echo "$app is $status"
fi
echo "Then check the deployment: mvn -q -Pops compile exec:exec -Dops.args=\"--stack $env-sqs-browser-events --region $region\""
