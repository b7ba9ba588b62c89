/**
 * GPU instance types a self-hosted judge can run on, with their prices and the throughput assumptions of the cost
 * estimate — data, with where every number comes from. Pure: no I/O.
 *
 * Prices: AWS EC2 on-demand, Linux, us-east-1, USD per hour, as listed on aws.amazon.com/ec2/pricing/on-demand and
 * the instance-type pages when this was written (2026; recalled, not fetched from this machine — check them before
 * quoting a figure). Spot: there is no fixed spot price (it moves hourly per availability zone); the table carries
 * `SPOT_FRACTION_ASSUMED` × on-demand, a typical level of `aws ec2 describe-spot-price-history` for these families
 * in 2024–2025. Update both here.
 *
 * Peak dense BF16 tensor TFLOPS per GPU: NVIDIA datasheets (L4 121, L40S 362, both "242 / 733 with sparsity" halved).
 * A10G: NVIDIA publishes no datasheet for AWS's A10G; the A10's 125 is used, an upper bound.
 */

/** Spot price assumed as a share of on-demand (see above). */
export const SPOT_FRACTION_ASSUMED = 0.4;
export const PRICES_SOURCE = 'AWS EC2 on-demand list prices, Linux, us-east-1, as known in 2026 (not fetched live); '
  + `spot assumed ${SPOT_FRACTION_ASSUMED * 100} % of on-demand`;

export interface GpuInstanceType {
  name: string;
  gpu: string;
  gpus: number;
  /** Memory of one GPU, GB. */
  gpuMemoryGb: number;
  /** Peak dense BF16 tensor TFLOPS of one GPU. */
  bf16Tflops: number;
  /** GPUs talk over NVLink (tensor parallelism loses less). */
  nvlink: boolean;
  onDemandUsdPerHour: number;
  spotUsdPerHour: number;
}

function instance(name: string, gpu: string, gpus: number, gpuMemoryGb: number, bf16Tflops: number, onDemandUsdPerHour: number, nvlink = false): GpuInstanceType {
  return Object.freeze({
    name, gpu, gpus, gpuMemoryGb, bf16Tflops, nvlink, onDemandUsdPerHour,
    spotUsdPerHour: Math.round(onDemandUsdPerHour * SPOT_FRACTION_ASSUMED * 1000) / 1000,
  });
}

export const GPU_INSTANCE_TYPES: Readonly<Record<string, GpuInstanceType>> = Object.freeze({
  'g6.xlarge': instance('g6.xlarge', 'L4', 1, 24, 121, 0.8048),
  'g5.xlarge': instance('g5.xlarge', 'A10G', 1, 24, 125, 1.006),
  'g6e.xlarge': instance('g6e.xlarge', 'L40S', 1, 48, 362, 1.861),
  'g6e.12xlarge': instance('g6e.12xlarge', 'L40S', 4, 48, 362, 10.493),
  'g5.48xlarge': instance('g5.48xlarge', 'A10G', 8, 24, 125, 16.288),
});

/**
 * How fast vLLM judges, as assumptions (not measurements; replace them with a measured rate when you have one).
 * A judge request is a long prompt and one output token, so the time is prefill: FLOPs ≈ 2 × parameters per prompt
 * token, at a model FLOPs utilisation (MFU) of `mfuSingleGpu` on one GPU and `mfuTensorParallel` when the model is
 * split over GPUs without NVLink (PCIe all-reduce). Prefix caching: the template text before the first placeholder
 * is the same in every prompt and computed once. `startupSeconds`: engine start (weights from the instance's disk or
 * S3/Hub cache, CUDA graphs) per GB of weights plus a fixed part.
 */
export const THROUGHPUT_ASSUMPTIONS = Object.freeze({
  mfuSingleGpu: 0.35,
  mfuTensorParallel: 0.25,
  startupFixedSeconds: 90,
  startupSecondsPerWeightGb: 2,
  source: 'assumed from typical vLLM prefill MFU (30–45 % on one GPU, lower split over PCIe); not measured on these instances',
});

export function findGpuInstance(name: string): GpuInstanceType | undefined {
  return GPU_INSTANCE_TYPES[name];
}
