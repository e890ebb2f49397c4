// Type-checked by `npm run typecheck`, never run: the implementation (src/index.js, typed by its JSDoc and checked
// by checkJs) against the public contract (index.d.ts, through the package's own exports). Each line below fails
// the typecheck when the two disagree; see the comments for what each one catches.
import * as Impl from '../src/index.js';
import * as Decl from '@sqs-browser-events/client';

/** True when A and B are the same type (not merely assignable one way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only when given `true`: `expect<Equal<A, B>>(true)`. */
declare function expect<T extends true>(ok: T): void;
/** The keys of T whose values are not functions. */
type Fields<T> = { [K in keyof T]-?: T[K] extends (...args: never[]) => unknown ? never : K }[keyof T];

// Every declared export is exported, with a type its declaration accepts.
export const exported: typeof Decl = Impl;
// Nothing is exported that index.d.ts does not declare.
expect<Equal<Exclude<keyof typeof Impl, keyof typeof Decl>, never>>(true);

// Functions and the state table: exactly the declared types.
expect<Equal<typeof Impl.decrypt, typeof Decl.decrypt>>(true);
expect<Equal<typeof Impl.STATE_TRANSITIONS, typeof Decl.STATE_TRANSITIONS>>(true);

// SessionClient: an implementation instance is a declared one (every declared member, each of a declared type) ...
export const client: Decl.SessionClient = new Impl.SessionClient({} as Decl.SessionClientOptions);
// ... with no public member the declarations leave out,
expect<Equal<Exclude<keyof Impl.SessionClient, keyof Decl.SessionClient>, never>>(true);
// ... the declared constructor, and exactly the declared members (the this-typed start() and the typed
// add/removeEventListener overloads, which the implementation inherits from EventTarget, checked by the line above).
expect<Equal<ConstructorParameters<typeof Impl.SessionClient>, ConstructorParameters<typeof Decl.SessionClient>>>(true);
expect<Equal<Impl.SessionClient['state'], Decl.SessionClient['state']>>(true);
expect<Equal<Impl.SessionClient['stop'], Decl.SessionClient['stop']>>(true);
expect<Equal<Impl.SessionClient['onMessage'], Decl.SessionClient['onMessage']>>(true);
expect<Equal<Impl.SessionClient['catchUp'], Decl.SessionClient['catchUp']>>(true);
expect<Equal<Parameters<Impl.SessionClient['start']>, Parameters<Decl.SessionClient['start']>>>(true);
expect<Equal<ReturnType<Impl.SessionClient['start']>, Impl.SessionClient>>(true);

// The error classes: the declared constructors and exactly the declared fields.
expect<Equal<ConstructorParameters<typeof Impl.SqsError>, ConstructorParameters<typeof Decl.SqsError>>>(true);
expect<Equal<Pick<Impl.SqsError, Fields<Impl.SqsError>>, Pick<Decl.SqsError, Fields<Decl.SqsError>>>>(true);
expect<Equal<ConstructorParameters<typeof Impl.TamperingError>, ConstructorParameters<typeof Decl.TamperingError>>>(true);
expect<Equal<Pick<Impl.TamperingError, Fields<Impl.TamperingError>>, Pick<Decl.TamperingError, Fields<Decl.TamperingError>>>>(true);
