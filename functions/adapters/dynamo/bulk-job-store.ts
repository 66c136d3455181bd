/**
 * Bulk jobs on DynamoDB (layout: bulk-items.ts). Every write that must be atomic is one
 * TransactWriteItems: a transition with its trail records; an item's start with the job's
 * `started` count (conditional on the job being RUNNING and the item absent); an item's
 * final result with the job's counters (conditional on the item not being final), and, when
 * it is the job's last, with the job's end (bulk-items.ts `endingWrites`). The manifest's
 * chunks: bulk-manifest.ts.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { JobEnd } from "#core/bulk-item-result.ts";
import type { BulkJob, BulkTransition, ManifestEntry } from "#core/bulk-job.ts";
import type {
  BulkItemFinish,
  BulkItemResult,
  BulkJobAuditRecord,
  BulkJobStore,
  CreateResult,
  ItemOutcomeSummary,
  StartResult,
} from "#core/bulk-ports.ts";
import { bulkItemKey, pendingUpdate, startWrites } from "./bulk-item-writes.ts";
import {
  BULK_DUE_PARTITION,
  bulkAuditPut,
  bulkPartitionOf,
  endingWrites,
  expiresAtOf,
  finishWrites,
  fromJobItem,
  fromResultItem,
  itemSortKey,
  JOB_SORT_KEY,
  jobTransitionUpdate,
  toJobItem,
} from "./bulk-items.ts";
import { jobEndFor, RESULT_ATTEMPTS, refusedWrite } from "./bulk-job-end.ts";
import { readManifest, writeManifest } from "./bulk-manifest.ts";
import {
  cancellationReasons,
  conditionFailedItem,
  storeUnavailable,
  transactWrite,
} from "./dynamo-errors.ts";
import { queryAll } from "./query-all.ts";
import { CANCELLATIONS_DUE_INDEX } from "./table-definitions.ts";

export interface DynamoBulkJobStoreOptions {
  client: DynamoDBClient;
  /** The idempotency table: jobs, manifests and results live beside keys and cancellations. */
  table: string;
  auditTable: string;
}

export class DynamoBulkJobStore implements BulkJobStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #auditTable: string;

  constructor(options: DynamoBulkJobStoreOptions) {
    this.#client = options.client;
    this.#table = options.table;
    this.#auditTable = options.auditTable;
  }

  #jobKey(jobId: string): Record<string, AttributeValue> {
    return { pk: { S: bulkPartitionOf(jobId) }, sk: { S: JOB_SORT_KEY } };
  }

  async create(
    job: BulkJob,
    manifest: readonly ManifestEntry[],
    audits: BulkJobAuditRecord[],
  ): Promise<CreateResult> {
    await writeManifest(this.#client, this.#table, job, manifest);
    try {
      await transactWrite(this.#client, [
        {
          Put: {
            TableName: this.#table,
            Item: toJobItem(job),
            ConditionExpression: "attribute_not_exists(pk)",
          },
        },
        ...audits.map((record) => bulkAuditPut(this.#auditTable, record)),
      ]);
      return { kind: "created" };
    } catch (error) {
      if (cancellationReasons(error)?.[0]?.Code !== "ConditionalCheckFailed") {
        throw storeUnavailable("bulk-jobs", "TransactWriteItems (create)", error);
      }
    }
    const existing = await this.get(job.id);
    if (!existing) throw storeUnavailable("bulk-jobs", "GetItem (a job that exists and does not)", undefined);
    return { kind: "exists", job: existing };
  }

  async get(jobId: string): Promise<BulkJob | undefined> {
    const item = await this.#getItem(this.#jobKey(jobId));
    return item === undefined ? undefined : fromJobItem(item);
  }

  async #getItem(key: Record<string, AttributeValue>): Promise<Record<string, AttributeValue> | undefined> {
    try {
      const output = await this.#client.send(
        new GetItemCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
      );
      return output.Item;
    } catch (error) {
      throw storeUnavailable("bulk-jobs", "GetItem", error);
    }
  }

  async due(now: number, limit: number): Promise<BulkJob[]> {
    const items = await queryAll(
      this.#client,
      "bulk-jobs",
      {
        TableName: this.#table,
        IndexName: CANCELLATIONS_DUE_INDEX,
        KeyConditionExpression: "dueKey = :bulk AND nextCheckAt <= :now",
        ExpressionAttributeValues: { ":bulk": { S: BULK_DUE_PARTITION }, ":now": { N: String(now) } },
        Limit: limit,
      },
      limit,
    );
    // The index is eventually consistent: read each job itself, so the driver starts from its latest version.
    const jobs = await Promise.all(items.map((item) => this.get(fromJobItem(item).id)));
    return jobs.filter((job): job is BulkJob => job !== undefined && job.nextCheckAt !== undefined);
  }

  async commit(transition: BulkTransition, audits: BulkJobAuditRecord[]): Promise<"written" | "conflict"> {
    if (transition.expectedVersion === null) throw new TypeError("a new job is written by create()");
    try {
      await transactWrite(this.#client, [
        {
          Update: jobTransitionUpdate(
            this.#table,
            transition.next,
            transition.expectedVersion,
            transition.guard,
          ),
        },
        ...audits.map((record) => bulkAuditPut(this.#auditTable, record)),
      ]);
      return "written";
    } catch (error) {
      if (cancellationReasons(error)?.[0]?.Code === "ConditionalCheckFailed") return "conflict";
      throw storeUnavailable("bulk-jobs", "TransactWriteItems (transition)", error);
    }
  }

  manifest(job: BulkJob, from: number, to: number): Promise<ManifestEntry[]> {
    return readManifest(this.#client, this.#table, job, from, to);
  }

  async startItem(jobId: string, index: number, at: string): Promise<StartResult> {
    try {
      await transactWrite(
        this.#client,
        startWrites(this.#table, jobId, index, at, await this.#itemExpiry(jobId)),
      );
      return { kind: "started" };
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons === undefined || !reasons.some((r) => r.Code === "ConditionalCheckFailed")) {
        throw storeUnavailable("bulk-jobs", "TransactWriteItems (start)", error);
      }
    }
    const existing = await this.#getItem(bulkItemKey(jobId, index));
    if (existing) return { kind: "already-started", result: fromResultItem(existing) };
    const job = await this.get(jobId);
    return job ? { kind: "not-running", state: job.state } : { kind: "no-job" };
  }

  /** Items expire with their job (90 days after its submission); read from the job once per container. */
  readonly #expiries = new Map<string, AttributeValue>();
  async #itemExpiry(jobId: string): Promise<AttributeValue> {
    let expiry = this.#expiries.get(jobId);
    if (!expiry) {
      const job = await this.get(jobId);
      expiry = { N: job ? expiresAtOf(job) : String(Math.floor(Date.now() / 1000)) };
      if (this.#expiries.size > 1000) this.#expiries.clear();
      this.#expiries.set(jobId, expiry);
    }
    return expiry;
  }

  async markPending(jobId: string, index: number, summary: ItemOutcomeSummary): Promise<void> {
    try {
      await this.#client.send(new UpdateItemCommand(pendingUpdate(this.#table, jobId, index, summary)));
    } catch (error) {
      // Final already (the continuation was first), or never started: nothing to mark.
      if (conditionFailedItem(error)) return;
      throw storeUnavailable("bulk-jobs", "UpdateItem (pending)", error);
    }
  }

  async finishItem(finish: BulkItemFinish): Promise<"written" | "already-final"> {
    let end: JobEnd | undefined;
    for (let attempt = 1; attempt <= RESULT_ATTEMPTS; attempt++) {
      const writes = end
        ? endingWrites(this.#table, this.#auditTable, finish, end)
        : finishWrites(this.#table, finish);
      try {
        await transactWrite(this.#client, writes);
        return "written";
      } catch (error) {
        const refused = refusedWrite(error);
        if (refused === 0) return "already-final";
        if (refused !== 1) throw storeUnavailable("bulk-jobs", "TransactWriteItems (result)", error);
      }
      // The job refused: this result is its last (or the job moved on since it was read).
      end = await jobEndFor(this.#client, this.#table, finish);
    }
    throw storeUnavailable("bulk-jobs", "TransactWriteItems (result): the job kept moving on", undefined);
  }

  async results(jobId: string, from: number, to: number): Promise<BulkItemResult[]> {
    if (from >= to) return [];
    const items = await queryAll(
      this.#client,
      "bulk-jobs",
      {
        TableName: this.#table,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :first AND :last",
        ExpressionAttributeValues: {
          ":pk": { S: bulkPartitionOf(jobId) },
          ":first": { S: itemSortKey(from) },
          ":last": { S: itemSortKey(to - 1) },
        },
        ConsistentRead: true,
      },
      Number.POSITIVE_INFINITY,
    );
    return items.map(fromResultItem);
  }
}
