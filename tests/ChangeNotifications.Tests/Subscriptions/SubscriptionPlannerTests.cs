using ChangeNotifications.Resources;
using ChangeNotifications.Subscriptions;
using Microsoft.Graph.Models;

namespace ChangeNotifications.Tests.Subscriptions;

/// <summary>The planner alone: desired × stored × Graph at a given time → actions. No HTTP, no store, no clock.</summary>
public sealed class SubscriptionPlannerTests
{
    private const string Url = "https://receiver.example/api/notifications";
    private const string Messages = "/users/u1/messages";
    private const string Events = "/users/u1/events";
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private readonly SubscriptionsOptions _options = new()
    {
        RenewAtFraction = 0.5,
        RenewJitterFraction = 0,
        ReconcileInterval = TimeSpan.FromMinutes(15),
        Items = [new SubscriptionItemOptions { Resource = Messages, ChangeType = "created" }],
    };

    private DesiredSubscription Desired => DesiredSubscription.FromOptions(_options, new ResourceCatalog()).Single();

    private SubscriptionPlanner Planner => new(_options);

    [Fact]
    public void Missing_everywhere_is_created()
    {
        var action = Assert.Single(Plan([], []));

        var create = Assert.IsType<CreateAction>(action);
        Assert.Equal(Desired.Key, create.Desired.Key);
        Assert.Null(create.Record);
    }

    [Fact]
    public void A_pending_create_with_nothing_in_graph_is_created_with_its_record()
    {
        var pending = Record(graphId: null);

        Assert.Equal(pending, Assert.IsType<CreateAction>(Assert.Single(Plan([pending], []))).Record);
    }

    [Fact]
    public void A_pending_create_that_graph_completed_is_adopted()
    {
        var pending = Record(graphId: null);
        var inGraph = InGraph(Messages, Now.AddDays(2));

        var adopt = Assert.IsType<AdoptAction>(Assert.Single(Plan([pending], [inGraph])));

        Assert.Equal(Guid.Parse(inGraph.Id!), adopt.GraphId);
        Assert.Equal(pending, adopt.Record);
    }

    [Fact]
    public void An_orphan_without_a_record_is_replaced_and_not_also_deleted()
    {
        var orphan = InGraph(Messages, Now.AddDays(2));

        var replace = Assert.IsType<ReplaceOrphanAction>(Assert.Single(Plan([], [orphan])));

        Assert.Equal(Guid.Parse(orphan.Id!), replace.OrphanId);
    }

    [Fact]
    public void An_expired_orphan_is_not_adopted_and_not_deleted()
    {
        var pending = Record(graphId: null);

        Assert.IsType<CreateAction>(Assert.Single(Plan([pending], [InGraph(Messages, Now.AddMinutes(-1))])));
    }

    [Fact]
    public void A_subscription_graph_no_longer_has_is_recreated()
    {
        var stored = Record(Guid.NewGuid(), expiresAt: Now.AddDays(3));

        var recreate = Assert.IsType<RecreateAction>(Assert.Single(Plan([stored], [])));

        Assert.Equal("it is no longer in Graph", recreate.Reason);
    }

    [Fact]
    public void A_subscription_graph_reports_expired_is_recreated()
    {
        var inGraph = InGraph(Messages, Now);
        var stored = Record(Guid.Parse(inGraph.Id!), expiresAt: Now.AddDays(3));

        Assert.Equal("it was found expired", Assert.IsType<RecreateAction>(Assert.Single(Plan([stored], [inGraph]))).Reason);
    }

    [Fact]
    public void Without_graphs_list_a_stored_expiry_in_the_past_means_recreate_and_one_in_the_future_keep()
    {
        var expired = Record(Guid.NewGuid(), expiresAt: Now.AddSeconds(-1));
        var fresh = Record(Guid.NewGuid(), expiresAt: Now.AddDays(6));

        Assert.IsType<RecreateAction>(Assert.Single(Plan([expired], graph: null)));
        Assert.IsType<KeepAction>(Assert.Single(Plan([fresh], graph: null)));
    }

    [Fact]
    public void Before_the_renewal_point_it_is_kept_and_after_it_renewed()
    {
        // 10,080 minutes of lifetime, renewed at half: due when 5,040 minutes are left.
        var notDue = Record(Guid.NewGuid(), expiresAt: Now.AddMinutes(5_041));
        var due = Record(Guid.NewGuid(), expiresAt: Now.AddMinutes(5_040));

        Assert.IsType<KeepAction>(Assert.Single(Plan([notDue], graph: null)));
        Assert.IsType<RenewAction>(Assert.Single(Plan([due], graph: null)));
    }

    [Fact]
    public void A_due_renewal_within_ten_minutes_of_a_reauthorize_is_deferred_to_the_end_of_that_window()
    {
        var reauthorizedAt = Now.AddMinutes(-4);
        var due = Record(Guid.NewGuid(), expiresAt: Now.AddMinutes(100)) with { LastReauthorizedAt = reauthorizedAt };

        var defer = Assert.IsType<DeferRenewalAction>(Assert.Single(Plan([due], graph: null)));

        Assert.Equal(reauthorizedAt.AddMinutes(10), defer.RenewAt);
        Assert.IsType<RenewAction>(Assert.Single(Plan([due], graph: null, now: reauthorizedAt.AddMinutes(10))));
    }

    [Fact]
    public void Graphs_expiry_is_stored_before_the_next_step()
    {
        var inGraph = InGraph(Messages, Now.AddDays(6));
        var stored = Record(Guid.Parse(inGraph.Id!), expiresAt: Now.AddDays(5));

        var actions = Plan([stored], [inGraph]);

        Assert.Collection(
            actions,
            a => Assert.Equal(inGraph.ExpirationDateTime, Assert.IsType<UpdateExpiryAction>(a).Record.ExpiresAt),
            a => Assert.Equal(inGraph.ExpirationDateTime, Assert.IsType<KeepAction>(a).Record.ExpiresAt));
    }

    [Fact]
    public void A_failing_subscription_waits_out_its_backoff_then_is_tried_again()
    {
        var retryAt = Now.AddMinutes(2);
        var failing = Record(graphId: null) with { FailureReason = "Create: 503", ConsecutiveFailures = 2, NextAttemptAt = retryAt };
        var orphan = InGraph(Messages, Now.AddDays(2));

        // While it waits, a matching subscription of ours is neither adopted nor deleted: the wait ends in adoption.
        var wait = Assert.IsType<WaitAction>(Assert.Single(Plan([failing], [orphan])));
        Assert.Equal(retryAt, wait.Until);

        Assert.IsType<AdoptAction>(Assert.Single(Plan([failing], [orphan], now: retryAt)));
    }

    [Fact]
    public void A_pending_reauthorization_is_answered_before_any_renewal()
    {
        var stored = Record(Guid.NewGuid(), expiresAt: Now.AddMinutes(5_040)) with { ReauthorizationPending = true };

        Assert.IsType<ReauthorizeAction>(Assert.Single(Plan([stored], graph: null)));
    }

    [Fact]
    public void A_recreation_another_instance_asked_for_is_carried_out()
    {
        var id = Guid.NewGuid();
        var stored = Record(id, expiresAt: Now.AddDays(3)) with { RecreateReason = "Graph removed it (subscriptionRemoved)", RecreatingGraphId = id };

        var recreate = Assert.IsType<RecreateAction>(Assert.Single(Plan([stored], graph: null)));

        Assert.Equal("Graph removed it (subscriptionRemoved)", recreate.Reason);
    }

    [Fact]
    public void A_subscription_no_longer_configured_is_deleted_and_so_is_a_stray_of_ours_but_not_anothers()
    {
        var kept = InGraph(Messages, Now.AddDays(6));
        var unconfigured = InGraph(Events, Now.AddDays(2));
        var stray = InGraph(Events, Now.AddDays(2));
        var foreign = InGraph(Events, Now.AddDays(2), "https://other.example/api/notifications");
        var stored = new[]
        {
            Record(Guid.Parse(kept.Id!), expiresAt: kept.ExpirationDateTime),
            Record(Guid.Parse(unconfigured.Id!), expiresAt: unconfigured.ExpirationDateTime, resource: Events),
        };

        var actions = Plan(stored, [kept, unconfigured, stray, foreign]);

        Assert.Collection(
            actions,
            a => Assert.IsType<KeepAction>(a),
            a => Assert.Equal(stored[1], Assert.IsType<DeleteAction>(a).Record),
            a => Assert.Equal(Guid.Parse(stray.Id!), Assert.IsType<DeleteStrayAction>(a).GraphId));
    }

    [Fact]
    public void A_reauthorization_is_skipped_within_ten_minutes_of_the_last_one_and_done_by_renewal_when_that_is_due()
    {
        var farFromDue = Record(Guid.NewGuid(), expiresAt: Now.AddDays(6));

        Assert.Equal(ReauthorizeChoice.Reauthorize, Planner.ReauthorizeStep(Desired, farFromDue, Now).Choice);
        Assert.Equal(
            (ReauthorizeChoice.AlreadyDone, (DateTimeOffset?)Now.AddMinutes(-9)),
            Planner.ReauthorizeStep(Desired, farFromDue with { LastRenewedAt = Now.AddMinutes(-9) }, Now));
        Assert.Equal(
            ReauthorizeChoice.RenewInstead,
            Planner.ReauthorizeStep(Desired, farFromDue with { ExpiresAt = Now.AddMinutes(5_040 + 14) }, Now).Choice);
    }

    [Fact]
    public void The_expiration_asked_for_stays_a_safety_margin_below_the_maximum()
    {
        Assert.Equal(Now + TimeSpan.FromMinutes(10_080) - _options.ExpirationSafetyMargin, Planner.ExpirationFor(Desired, Now));
    }

    private IReadOnlyList<ReconcileAction> Plan(IReadOnlyCollection<SubscriptionRecord> stored, IReadOnlyList<Subscription>? graph, DateTimeOffset? now = null) =>
        Planner.Plan([Desired], stored, new GraphSubscriptionsView(graph, Url), now ?? Now);

    private static SubscriptionRecord Record(Guid? graphId, DateTimeOffset? expiresAt = null, string resource = Messages) => new()
    {
        Key = resource.TrimStart('/') + "|created",
        Resource = resource,
        ChangeType = "created",
        ClientState = "secret",
        GraphId = graphId,
        ExpiresAt = expiresAt,
    };

    private static Subscription InGraph(string resource, DateTimeOffset? expiresAt, string url = Url) => new()
    {
        Id = Guid.NewGuid().ToString("D"),
        Resource = resource,
        ChangeType = "created",
        NotificationUrl = url,
        ExpirationDateTime = expiresAt,
    };
}
