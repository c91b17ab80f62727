/* pool.pml — SPIN model of the pool's shared free list (src/pool/pool.c).
 *
 * Two reserver processes pop the list with a CAS on the head {top, tag, busy}; one owner
 * process frees the slots the reservers hand it into a local batch and publishes batches:
 * set busy (tag + 1), link the batch onto the old top (one store per slot, interleavable),
 * then store {first, tag + 1, busy = 0}. A reserver reads the link of the top slot with a
 * plain load that may be stale, exactly as the C code does; the tag is what makes its CAS
 * fail then. Fresh indices (fetch_add) are not modelled: they cannot collide.
 *
 * Safety: no slot is held by two parties at once (checked at every pop) and, at the end,
 * every slot is either held by a reserver or on the list exactly once (no lost slot).
 * Build with -DNOTAG to compare heads without the tag: SPIN must then find the ABA bug.
 */

#define N       3          /* slots 1..N (0 = end of list), like "index + 1" in C */
#define ROUNDS  3          /* pops attempted by each reserver */
#define FREE    0          /* holder: on the shared list */
#define OWNER   3          /* holder: in the owner's local batch */

#ifdef NOTAG
#define TAG_OK(g) true
#else
#define TAG_OK(g) (tag == g)
#endif

byte top = 1;              /* head: top slot (0 = empty) */
byte tag = 0;              /* head: ABA tag */
bit busy = 0;              /* head: free in progress */
byte link[N + 1];          /* link[s]: the slot after s (high bits of its word) */
byte holder[N + 1];        /* who holds slot s: FREE, reserver 1 or 2, OWNER */
chan handoff = [N] of { byte };
byte done = 0;

proctype Reserver(byte me)
{
    byte t, g, n, k = 0;
    do
    :: k < ROUNDS ->
        atomic { busy == 0; t = top; g = tag }      /* acquire load; spins while busy */
        if
        :: t == 0 -> skip                            /* empty: C takes a fresh index */
        :: else ->
            n = link[t];                             /* relaxed load, may be stale */
            atomic {                                 /* CAS {t, g, 0} -> {n, g + 1, 0} */
                if
                :: top == t && busy == 0 && TAG_OK(g) ->
                    top = n; tag++;
                    assert(holder[t] == FREE);      /* nobody else holds it */
                    holder[t] = me
                :: else -> t = 0                     /* CAS failed */
                fi
            };
            if
            :: t != 0 -> handoff!t                   /* hand it to the owner to free */
            :: t != 0 -> skip                        /* or keep it */
            :: else -> skip
            fi
        fi;
        k++
    :: else -> break
    od;
    done++
}

proctype Owner()
{
    byte batch[N];
    byte nb = 0, s, i, old;
    do
    :: handoff?s ->                                  /* dp_pool_free: into the local batch */
        atomic { assert(holder[s] == 1 || holder[s] == 2); holder[s] = OWNER };
        batch[nb] = s; nb++
    :: nb > 0 ->                                     /* publish the batch */
        atomic { busy == 0 -> busy = 1; tag++; old = top };
        i = 0;
        do
        :: i + 1 < nb -> link[batch[i]] = batch[i + 1]; i++
        :: else -> link[batch[i]] = old; break
        od;
        atomic {                                     /* release store of the new head */
            i = 0;
            do
            :: i < nb -> holder[batch[i]] = FREE; i++
            :: else -> break
            od;
            top = batch[0]; tag++; busy = 0; nb = 0; i = 0
        }
    :: done == 2 && len(handoff) == 0 && nb == 0 -> break
    od
}

init
{
    byte s, cnt, held;
    bit onlist[N + 1];
    atomic {
        link[1] = 2; link[2] = 3; link[3] = 0;
        run Reserver(1); run Reserver(2); run Owner()
    };
    _nr_pr == 1;                                     /* everyone finished */
    /* No lost slot: walk the list, then add the slots the reservers kept. */
    s = top; cnt = 0;
    do
    :: s != 0 ->
        assert(cnt < N && !onlist[s] && holder[s] == FREE);
        onlist[s] = 1; cnt++; s = link[s]
    :: else -> break
    od;
    s = 1; held = 0;
    do
    :: s <= N -> if :: holder[s] == 1 || holder[s] == 2 -> held++ :: else -> skip fi; s++
    :: else -> break
    od;
    assert(cnt + held == N)
}
