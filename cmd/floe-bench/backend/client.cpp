// The Ice load client of floe-bench's ice-twoway scenarios: the real Ice 3.7
// C++ runtime as the client, the way an Ice shop's own clients load a
// router. floe-bench compiles it with the backend.
//
//   client ROUTER TARGET SESSIONS INFLIGHT
//
// Each session is its own communicator, so its own connection: through a
// router (ROUTER a router proxy) it creates a Glacier2 session first, as a
// client with Ice.Default.Router does; with ROUTER "-" it talks to TARGET
// plainly. Each session keeps INFLIGHT AMI calls of ping() outstanding,
// sending the next as soon as one completes. It prints "READY" once every
// session has made a call; SIGUSR1 starts the measured window and SIGUSR2
// ends it, after which it waits for the calls still outstanding and prints
//
//   RESULT <calls> <failures> <p50 ns> <p99 ns>
//   ERROR <the first failure>      (only when a call failed)
//
// The signals are floe-bench's way to put the window exactly where it
// samples the router's CPU time.
#include <Ice/Ice.h>
#include <Glacier2/Glacier2.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace std;
using Clock = chrono::steady_clock;

namespace
{

struct Stats
{
    atomic<bool> measuring{false};
    atomic<bool> stopping{false};
    atomic<long> outstanding{0};
    atomic<long> calls{0};
    atomic<long> failures{0};
    mutex mu;
    vector<long long> latencies; // nanoseconds, measured calls only
    string firstError;

    void fail(const string& what)
    {
        failures++;
        lock_guard<mutex> lock(mu);
        if(firstError.empty())
        {
            firstError = what;
        }
    }
};

// Slot is one outstanding call of one session, reissued on completion.
class Slot : public enable_shared_from_this<Slot>
{
public:
    Slot(shared_ptr<Ice::ObjectPrx> prx, const vector<Ice::Byte>& params, Stats& stats) :
        _prx(move(prx)), _params(params), _stats(stats)
    {
        _latencies.reserve(1 << 16);
    }

    void issue()
    {
        if(_stats.stopping)
        {
            flush();
            _stats.outstanding--;
            return;
        }
        auto self = shared_from_this();
        _start = Clock::now();
        _prx->ice_invokeAsync("ping", Ice::OperationMode::Normal, _params,
            [self](bool ok, vector<Ice::Byte>) { self->completed(ok); },
            [self](exception_ptr e) { self->failed(e); });
    }

private:
    void completed(bool ok)
    {
        if(_stats.measuring)
        {
            if(!ok)
            {
                _stats.fail("ping raised a user exception");
            }
            else
            {
                _stats.calls++;
                _latencies.push_back(chrono::duration_cast<chrono::nanoseconds>(Clock::now() - _start).count());
            }
        }
        issue();
    }

    void failed(exception_ptr e)
    {
        try
        {
            rethrow_exception(e);
        }
        catch(const exception& ex)
        {
            _stats.fail(ex.what());
        }
        flush();
        _stats.outstanding--;
    }

    void flush()
    {
        lock_guard<mutex> lock(_stats.mu);
        _stats.latencies.insert(_stats.latencies.end(), _latencies.begin(), _latencies.end());
        _latencies.clear();
    }

    shared_ptr<Ice::ObjectPrx> _prx;
    const vector<Ice::Byte>& _params;
    Stats& _stats;
    Clock::time_point _start;
    vector<long long> _latencies; // only this slot's completions touch it
};

}

int
main(int argc, char* argv[])
{
    if(argc != 5)
    {
        cerr << "usage: client ROUTER|- TARGET SESSIONS INFLIGHT" << endl;
        return 2;
    }
    const string router = argv[1], target = argv[2];
    const int sessions = stoi(argv[3]), inflight = stoi(argv[4]);

    // Blocked before Ice starts any thread, so only sigwait sees them.
    sigset_t window;
    sigemptyset(&window);
    sigaddset(&window, SIGUSR1);
    sigaddset(&window, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &window, nullptr);

    Stats stats;
    vector<Ice::CommunicatorHolder> communicators;
    vector<shared_ptr<Slot>> slots;
    vector<Ice::Byte> params;
    try
    {
        for(int i = 0; i < sessions; ++i)
        {
            Ice::InitializationData init;
            init.properties = Ice::createProperties();
            if(router != "-")
            {
                init.properties->setProperty("Ice.Default.Router", router);
            }
            init.properties->setProperty("Ice.RetryIntervals", "-1");
            communicators.emplace_back(init);
            auto communicator = communicators.back().communicator();
            if(router != "-")
            {
                auto r = Ice::checkedCast<Glacier2::RouterPrx>(communicator->getDefaultRouter());
                r->createSession("bench" + to_string(i), "bench");
            }
            auto prx = communicator->stringToProxy(target);
            prx->ice_ping(); // through a router, this also adds the proxy to the session
            if(params.empty())
            {
                Ice::OutputStream out(communicator);
                out.startEncapsulation();
                out.endEncapsulation();
                out.finished(params);
            }
            for(int k = 0; k < inflight; ++k)
            {
                slots.push_back(make_shared<Slot>(prx, params, stats));
            }
        }
    }
    catch(const exception& ex)
    {
        cerr << "client: setting up the sessions: " << ex.what() << endl;
        return 1;
    }

    stats.outstanding = static_cast<long>(slots.size());
    for(auto& s : slots)
    {
        s->issue();
    }
    cout << "READY" << endl;

    int sig = 0;
    do
    {
        sigwait(&window, &sig);
    }
    while(sig != SIGUSR1);
    stats.measuring = true;
    do
    {
        sigwait(&window, &sig);
    }
    while(sig != SIGUSR2);
    stats.measuring = false;
    stats.stopping = true;

    auto deadline = Clock::now() + chrono::seconds(10);
    while(stats.outstanding > 0 && Clock::now() < deadline)
    {
        this_thread::sleep_for(chrono::milliseconds(5));
    }
    if(stats.outstanding > 0)
    {
        stats.fail(to_string(stats.outstanding.load()) + " calls still outstanding 10 s after the window");
    }

    long long p50 = 0, p99 = 0;
    {
        lock_guard<mutex> lock(stats.mu);
        auto& l = stats.latencies;
        if(!l.empty())
        {
            sort(l.begin(), l.end());
            p50 = l[l.size() / 2];
            p99 = l[min(l.size() - 1, l.size() * 99 / 100)];
        }
    }
    cout << "RESULT " << stats.calls << " " << stats.failures << " " << p50 << " " << p99 << endl;
    if(stats.failures > 0)
    {
        cout << "ERROR " << stats.firstError << endl;
    }
    cout.flush();
    // The sessions end with their connections; destroying hundreds of
    // communicators one by one would only slow the bench down.
    _exit(0);
}
