// The floe-bench backend: a real Ice 3.7 C++ server hosting the object
// "bench" (FloeBench::Backend) on tcp -h 127.0.0.1 with a port from the OS.
// It prints "READY <port>" once it accepts requests, then serves until
// killed. Ice properties come from the command line (--Ice.X=Y).
//
// Built by floe-bench:
//   slice2cpp -I/usr/share/ice/slice Bench.ice
//   g++ -O2 -std=c++11 -DICE_CPP11_MAPPING server.cpp Bench.cpp -lIce++11 -lpthread

#include <Ice/Ice.h>
#include "Bench.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <vector>

using namespace std;
using Clock = chrono::steady_clock;

namespace
{

// Flood keeps inflight callbacks outstanding on one receiver until its
// deadline, then answers the callbacks request with what it measured.
class Flood : public enable_shared_from_this<Flood>
{
public:
    Flood(shared_ptr<FloeBench::ReceiverPrx> r, int inflight, int millis,
          function<void(const FloeBench::CallbackResult&)> response) :
        _receiver(move(r)), _inflight(inflight), _response(move(response))
    {
        _start = Clock::now();
        _deadline = _start + chrono::milliseconds(millis);
        _latencies.reserve(1 << 16);
    }

    void start()
    {
        {
            lock_guard<mutex> lock(_mutex);
            _outstanding = _inflight;
        }
        for(int i = 0; i < _inflight; ++i)
        {
            issue();
        }
    }

private:
    void issue()
    {
        auto self = shared_from_this();
        auto t0 = Clock::now();
        _receiver->cbAsync(
            [self, t0]() { self->done(t0, nullptr); },
            [self, t0](exception_ptr e) { self->done(t0, e); });
    }

    void done(Clock::time_point t0, exception_ptr e)
    {
        auto now = Clock::now();
        bool again;
        bool finished = false;
        {
            lock_guard<mutex> lock(_mutex);
            if(e)
            {
                ++_failures;
                if(_firstError.empty())
                {
                    try
                    {
                        rethrow_exception(e);
                    }
                    catch(const std::exception& ex)
                    {
                        _firstError = ex.what();
                    }
                    catch(...)
                    {
                        _firstError = "unknown exception";
                    }
                }
            }
            else if(now <= _deadline)
            {
                _latencies.push_back(chrono::duration_cast<chrono::nanoseconds>(now - t0).count());
            }
            again = now < _deadline && _failures == 0;
            if(!again)
            {
                finished = --_outstanding == 0;
            }
        }
        if(again)
        {
            issue();
        }
        else if(finished)
        {
            finish();
        }
    }

    void finish()
    {
        FloeBench::CallbackResult r;
        r.calls = static_cast<int>(_latencies.size());
        r.failures = _failures;
        r.firstError = _firstError;
        sort(_latencies.begin(), _latencies.end());
        const size_t samples = 1001;
        if(_latencies.size() <= samples)
        {
            r.latencySample.assign(_latencies.begin(), _latencies.end());
        }
        else
        {
            for(size_t i = 0; i < samples; ++i)
            {
                r.latencySample.push_back(_latencies[i * (_latencies.size() - 1) / (samples - 1)]);
            }
        }
        _response(r);
    }

    shared_ptr<FloeBench::ReceiverPrx> _receiver;
    int _inflight;
    function<void(const FloeBench::CallbackResult&)> _response;
    Clock::time_point _start;
    Clock::time_point _deadline;

    mutex _mutex;
    int _outstanding = 0;
    int _failures = 0;
    string _firstError;
    vector<Ice::Long> _latencies;
};

class BackendI : public FloeBench::Backend
{
public:
    void ping(const Ice::Current&) override
    {
    }

    Ice::ByteSeq echo(Ice::ByteSeq data, const Ice::Current&) override
    {
        return data;
    }

    void note(int, const Ice::Current&) override
    {
        _noted.fetch_add(1, memory_order_relaxed);
    }

    Ice::Long noted(const Ice::Current&) override
    {
        return _noted.load(memory_order_relaxed);
    }

    void callbacksAsync(shared_ptr<FloeBench::ReceiverPrx> r, int inflight, int millis,
                        function<void(const FloeBench::CallbackResult&)> response,
                        function<void(exception_ptr)> exception, const Ice::Current& current) override
    {
        if(!r || inflight < 1 || millis < 0)
        {
            exception(make_exception_ptr(Ice::MarshalException(__FILE__, __LINE__, "bad callbacks arguments")));
            return;
        }
        if(r->ice_getEndpoints().empty() && r->ice_getAdapterId().empty())
        {
            // Bidirectional: back over the caller's own connection.
            r = Ice::uncheckedCast<FloeBench::ReceiverPrx>(current.con->createProxy(r->ice_getIdentity()));
        }
        make_shared<Flood>(r, inflight, millis, response)->start();
    }

private:
    atomic<Ice::Long> _noted{0};
};

}

int
main(int argc, char* argv[])
{
    try
    {
        Ice::CommunicatorHolder ich(argc, argv);
        auto adapter = ich->createObjectAdapterWithEndpoints("Bench", "tcp -h 127.0.0.1 -p 0");
        adapter->add(make_shared<BackendI>(), Ice::stringToIdentity("bench"));
        adapter->activate();
        int port = 0;
        for(const auto& ep : adapter->getEndpoints())
        {
            auto info = dynamic_pointer_cast<Ice::TCPEndpointInfo>(ep->getInfo());
            if(info)
            {
                port = info->port;
                break;
            }
        }
        cout << "READY " << port << endl;
        ich->waitForShutdown();
    }
    catch(const std::exception& ex)
    {
        cerr << "floe-bench backend: " << ex.what() << endl;
        return 1;
    }
    return 0;
}
