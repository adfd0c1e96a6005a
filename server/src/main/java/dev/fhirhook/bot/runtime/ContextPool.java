package dev.fhirhook.bot.runtime;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Idle, loaded contexts per bot, for warm runs. Only the bot's latest version is kept: taking a context for a
 * new version closes the idle ones of the old version, and an old-version context coming back is closed.
 * At most {@code maxPerBot} idle contexts per bot and {@code maxTotal} overall; past that the least recently
 * returned context is closed. A context whose runs have allocated more than {@code maxContextBytes} is closed
 * when it comes back, and while the idle ones' allocations add up to more than {@code maxIdleBytes} the least
 * recently returned go: what a context allocated bounds what it can keep. Thread-safe; contexts are closed
 * outside the lock.
 */
final class ContextPool implements AutoCloseable {
    private final int maxPerBot;
    private final int maxTotal;
    private final long maxContextBytes;
    private final long maxIdleBytes;
    private long idleBytes; // the allocations of the idle contexts, summed
    private final Map<String, Entry> bots = new HashMap<>();
    private final LinkedHashSet<BotContext> leastRecentFirst = new LinkedHashSet<>();
    private boolean closed;

    private static final class Entry {
        String version;
        final ArrayDeque<BotContext> idle = new ArrayDeque<>();

        Entry(String version) {
            this.version = version;
        }
    }

    ContextPool(int maxPerBot, int maxTotal, long maxContextBytes, long maxIdleBytes) {
        this.maxPerBot = maxPerBot;
        this.maxTotal = maxTotal;
        this.maxContextBytes = maxContextBytes;
        this.maxIdleBytes = maxIdleBytes;
    }

    /** A warm context for exactly this version, or null; retires the bot's contexts of any other version. */
    BotContext take(String botId, String version) {
        List<BotContext> retired = List.of();
        BotContext found;
        synchronized (this) {
            var entry = bots.get(botId);
            if (entry == null) {
                bots.put(botId, new Entry(version));
                return null;
            }
            if (!entry.version.equals(version)) {
                retired = new ArrayList<>(entry.idle);
                entry.idle.clear();
                retired.forEach(this::forget);
                entry.version = version;
            }
            found = entry.idle.pollLast();
            if (found != null) forget(found);
        }
        retired.forEach(BotContext::close);
        return found;
    }

    /** Keeps a context that ended a run cleanly, or closes it when stale or over a cap. */
    void give(BotContext context) {
        var toClose = new ArrayList<BotContext>(1);
        synchronized (this) {
            var entry = bots.get(context.botId);
            if (closed || entry == null || !entry.version.equals(context.version) || entry.idle.size() >= maxPerBot
                    || context.allocatedBytes > maxContextBytes) {
                toClose.add(context);
            } else {
                entry.idle.addLast(context);
                leastRecentFirst.add(context);
                idleBytes += context.allocatedBytes;
                while (leastRecentFirst.size() > maxTotal || idleBytes > maxIdleBytes) {
                    var oldest = leastRecentFirst.getFirst();
                    forget(oldest);
                    bots.get(oldest.botId).idle.remove(oldest);
                    toClose.add(oldest);
                }
            }
        }
        toClose.forEach(BotContext::close);
    }

    /** Takes a context out of the least-recently-used order and the byte count; the caller holds the lock. */
    private void forget(BotContext context) {
        leastRecentFirst.remove(context);
        idleBytes -= context.allocatedBytes;
    }

    synchronized int idle() {
        return leastRecentFirst.size();
    }

    synchronized int idle(String botId) {
        var entry = bots.get(botId);
        return entry == null ? 0 : entry.idle.size();
    }

    @Override
    public void close() {
        List<BotContext> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(leastRecentFirst);
            leastRecentFirst.clear();
            idleBytes = 0;
            bots.clear();
        }
        all.forEach(BotContext::close);
    }
}
